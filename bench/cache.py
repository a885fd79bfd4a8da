"""The response cache and session affinity through the real Envoy, on one real Redis.

    python bench/cache.py [--hits 1000] [--load 3000] [--concurrency 16]

Runs on loopback: Envoy + router replicas (the default policy with a Redis-backed cache and
affinity), mock backends, one Debian ``redis-server``. Prints one table per question:

1. cache hit latency through Envoy, JSON and SSE (sequential), next to Envoy alone straight to
   a backend and to a routed request the cache bypasses;
2. SSE and JSON replay intact: every hit byte-for-byte the answer first stored, per API;
3. cross-tenant hits: entries stored under one API key, looked up (exact and rephrased) under
   other keys;
4. Redis killed under load: failed requests while Redis dies mid-run;
5. throughput with 1 and 2 router processes behind one Envoy (``serve --processes``), and
   the router CPU per request (user + system time of the router processes over the run);
6. two replicas (each Envoy + router) on one Redis: hits served by the replica that did not
   store them, conversations that keep their model when the next turn lands on the other.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import yaml
from common import Summary, print_table, run_load

from router_extproc.demo.redis_server import RedisServer
from router_extproc.demo.stack import EnvoyProcess, Stack, free_port, running_stack
from router_extproc.envoy_config.bootstrap import EnvoyOptions, EnvoyPorts, render_bootstrap

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.helpers import http_request  # noqa: E402

KEY = {"authorization": "Bearer bench-tenant"}
QUIET = {"access_log": False}
"""As Envoy alone is run: no access log on either side of a comparison."""
CHAT = "/v1/chat/completions"


def chat(text: str, **extra: object) -> dict:
    return {"model": "auto", "temperature": 0, "messages": [{"role": "system", "content": "Be brief."},
                                                            {"role": "user", "content": text}], **extra}


BODIES = {
    "/v1/chat/completions": lambda text, stream: chat(text, stream=stream),
    "/v1/completions": lambda text, stream: {"model": "auto", "temperature": 0, "prompt": text, "stream": stream},
    "/v1/responses": lambda text, stream: {"model": "auto", "temperature": 0, "input": text, "stream": stream},
    "/v1/messages": lambda text, stream: {"model": "auto", "temperature": 0, "max_tokens": 64, "stream": stream,
                                          "messages": [{"role": "user", "content": text}]},
}


def policy_file(tmp: pathlib.Path) -> pathlib.Path:
    policy = yaml.safe_load((REPO / "policies" / "default.yaml").read_text())
    policy["store"] = {"backend": "redis", "timeout_ms": 50, "retry_after_seconds": 1}
    policy["cache"] = {"ttl_seconds": 3600}
    policy["affinity"] = {"ttl_seconds": 3600}
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


def envoy_alone(stack: Stack, tmp: pathlib.Path) -> EnvoyProcess:
    """Envoy without the ext_proc filter, straight to the default model's backend."""
    ports = EnvoyPorts(listener=free_port(), admin=free_port(), router=stack.router.port)
    backend = stack.backends[stack.policy.default_model]
    options = EnvoyOptions(upstream_overrides={m: ("127.0.0.1", backend.port) for m in stack.policy.models},
                           access_log=False)
    config = render_bootstrap(stack.policy, ports, options)
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["http_filters"] = [f for f in hcm["http_filters"] if f["name"] != "envoy.filters.http.ext_proc"]
    envoy = EnvoyProcess(yaml.safe_dump(config), ports.admin, tmp).start()
    envoy.listener_port = ports.listener  # type: ignore[attr-defined]
    return envoy


def ask(stack: Stack, path: str, body: dict, headers: dict | None = None):  # type: ignore[no-untyped-def]
    return http_request(stack.url + path, body=body, headers={**KEY, **(headers or {})})


def hit_latency(stack: Stack, tmp: pathlib.Path, hits: int) -> list[Summary]:
    rows = []
    alone = envoy_alone(stack, tmp)
    try:
        plain = json.dumps(chat("What is the capital of France?")).encode()
        run_load("warm-up", alone.listener_port, CHAT, plain, 100, 1)  # type: ignore[attr-defined]
        rows.append(run_load("Envoy alone -> backend (JSON)", alone.listener_port, CHAT, plain, hits, 1))  # type: ignore[attr-defined]
    finally:
        alone.stop()
    for stream in (False, True):
        body = json.dumps(chat("What is the capital of France?", stream=stream)).encode()
        ask(stack, CHAT, json.loads(body))
        run_load("warm-up", stack.listener_port, CHAT, body, 100, 1, KEY)
        kind = "SSE" if stream else "JSON"
        rows.append(run_load(f"cache hit through Envoy + router ({kind})", stack.listener_port, CHAT, body, hits, 1, KEY))
    routed = json.dumps(chat("What is the capital of France?", temperature=0.7)).encode()
    rows.append(run_load("routed, cache bypass -> backend (JSON)", stack.listener_port, CHAT, routed, hits, 1, KEY))
    floor = run_load("invalid JSON, refused by the router: the same two ext_proc messages, no cache work "
                     "(errors: answers not refused)", stack.listener_port, CHAT, b"{not json", hits, 1, KEY)
    rows.append(Summary(floor.name, floor.count, floor.count - floor.errors, floor.p50_ms, floor.p99_ms, floor.rps))
    return rows


def replay_intact(stack: Stack, repeats: int) -> list[tuple[str, str, int, int]]:
    out = []
    for path, make in BODIES.items():
        for stream in (False, True):
            body = make(f"Name a famous bridge ({path}).", stream)
            first = ask(stack, path, body)
            broken = 0
            for _ in range(repeats):
                again = ask(stack, path, body)
                broken += again.headers.get("x-router-cache") != "hit" or again.body != first.body
            out.append((path, "SSE" if stream else "JSON", repeats, broken))
    return out


def cross_tenant(stack: Stack, entries: int) -> tuple[int, int, int]:
    """Stored under KEY; each looked up once under a new key (its first and only lookup, so a
    hit could only come from another tenant): (lookups, hits, own-tenant repeats that hit)."""
    texts = [f"What is the population of city number {i}?" for i in range(entries)]
    for text in texts:
        ask(stack, CHAT, chat(text))
    lookups = hits = own = 0
    for i, text in enumerate(texts):
        for kind, body in (("exact", chat(text)), ("rephrased", chat("hi, " + text.lower()))):
            other = http_request(stack.url + CHAT, body=body, headers={"authorization": f"Bearer other-{i}-{kind}"})
            lookups += 1
            hits += other.headers.get("x-router-cache") == "hit"
        own += ask(stack, CHAT, chat(text)).headers.get("x-router-cache") == "hit"
    return lookups, hits, own


def redis_load(stack: Stack, redis: RedisServer, requests: int, concurrency: int,
               kill: bool) -> tuple[Summary, dict[str, int]]:
    """Cacheable requests (200 distinct, repeated) with Redis killed after 1 s, or left alone
    (the control); the summary and what each failed request got."""
    failures: dict[str, int] = {}
    lock = threading.Lock()

    def body(n: int) -> bytes:
        return json.dumps(chat(f"Give me fact number {n % 200} about the sea.")).encode()

    killer = threading.Timer(1.0, redis.kill)
    if kill:
        killer.start()
    try:
        name = f"{concurrency} concurrent, Redis {'killed after 1 s' if kill else 'up (control)'}"
        summary = run_load(name, stack.listener_port, CHAT, body, requests, concurrency, KEY,
                           on_failure=lambda what: _count(failures, lock, what))
    finally:
        killer.cancel()
    return summary, failures


def _count(failures: dict[str, int], lock: threading.Lock, what: str) -> None:
    with lock:
        failures[what] = failures.get(what, 0) + 1


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def router_pids(stack: Stack) -> list[int]:
    assert stack.router.proc is not None
    pid = stack.router.proc.pid
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def throughput(policy: pathlib.Path, redis: RedisServer, processes: int, requests: int, concurrency: int,
               logs: pathlib.Path) -> tuple[Summary, float]:
    def body(n: int) -> bytes:  # routed every time: a new prompt, and not cacheable
        return json.dumps({"model": "auto", "messages": [{"role": "user", "content": f"Tell me about topic {n}."}]}).encode()

    logs.mkdir(parents=True, exist_ok=True)
    with running_stack(policy, log_dir=logs, router_processes=processes, envoy_options=QUIET,
                       router_args=("--redis-url", redis.url)) as stack:
        run_load("warm-up", stack.listener_port, CHAT, body, 200, concurrency, KEY)
        pids = router_pids(stack)
        before = cpu_seconds(pids)
        summary = run_load(f"{processes} router process(es), {concurrency} concurrent", stack.listener_port, CHAT,
                           lambda n: body(n + 1000), requests, concurrency, KEY)
        cpu_ms = (cpu_seconds(pids) - before) * 1000 / max(1, summary.count)
    return summary, cpu_ms


def replicas(policy: pathlib.Path, redis: RedisServer, logs: pathlib.Path, count: int) -> tuple[int, int, int, int]:
    for name in ("a", "b"):
        (logs / name).mkdir(parents=True, exist_ok=True)
    with running_stack(policy, log_dir=logs / "a", router_args=("--redis-url", redis.url), envoy_options=QUIET) as a, \
            running_stack(policy, log_dir=logs / "b", router_args=("--redis-url", redis.url), envoy_options=QUIET) as b:
        hits = 0
        for i in range(count):
            body = chat(f"Which river flows through town number {i}?")
            ask(a, CHAT, body)
            hits += ask(b, CHAT, body).headers.get("x-router-cache") == "hit"
        kept = 0
        for i in range(count):
            session = {"x-session-id": f"bench-conversation-{i}"}
            first = ask(a, CHAT, {"model": "auto", "messages": [{"role": "user", "content": "hi there, how are you?"}]},
                        session)
            turns = [{"role": "user", "content": "hi there, how are you?"}, {"role": "assistant", "content": "fine"},
                     {"role": "user", "content": "Prove that the square root of 2 is irrational."}]
            second = ask(b, CHAT, {"model": "auto", "messages": turns}, session)
            kept += first.headers.get("x-backend") == second.headers.get("x-backend")
        return count, hits, count, kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hits", type=int, default=1000)
    parser.add_argument("--load", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as name:
        tmp = pathlib.Path(name)
        policy = policy_file(tmp)
        redis = RedisServer().start()
        try:
            with running_stack(policy, log_dir=tmp, router_args=("--redis-url", redis.url), envoy_options=QUIET) as stack:
                latency = hit_latency(stack, tmp, args.hits)
                replay = replay_intact(stack, 20)
                tenants = cross_tenant(stack, 200)
            print("\n## 1. cache hit latency, sequential (p50 of the whole round trip through Envoy)\n")
            print_table(latency)
            alone, json_hit = latency[0], latency[1]
            print(f"\nrouter-added p50 of a JSON hit over Envoy alone to a backend: "
                  f"{json_hit.p50_ms - alone.p50_ms:+.2f} ms (a hit's whole round trip: {json_hit.p50_ms:.2f} ms)")
            print("\n## 2. replay intact (each hit byte-for-byte the stored answer)\n")
            print("| API | format | hits | not a hit or not identical |\n|---|---|---|---|")
            for path, kind, n, broken in replay:
                print(f"| {path} | {kind} | {n} | {broken} |")
            print("\n## 3. cross-tenant lookups\n")
            print("| lookups under other API keys (exact + rephrased) | hits | own-tenant repeats that hit |\n|---|---|---|")
            print(f"| {tenants[0]} | {tenants[1]} | {tenants[2]} of {tenants[0] // 2} |")

            rows = []
            cpu = []
            for processes in (1, 2):
                summary, cpu_ms = throughput(policy, redis, processes, args.load, args.concurrency, tmp / f"p{processes}")
                rows.append(summary)
                cpu.append(cpu_ms)
            sent, stored_hits, conversations, kept = replicas(policy, redis, tmp, 100)

            killed = []
            for concurrency in (4, args.concurrency):
                for kill in (False, True):
                    run_dir = tmp / f"kill-{concurrency}-{kill}"
                    run_dir.mkdir()
                    server = RedisServer().start()  # empty each time: the runs see the same misses
                    try:
                        with running_stack(policy, log_dir=run_dir, router_args=("--redis-url", server.url),
                                           envoy_options=QUIET) as stack:
                            killed.append(redis_load(stack, server, args.load, concurrency, kill))
                    finally:
                        server.stop()
            print("\n## 4. Redis killed under load (and the same load with Redis up)\n")
            print_table([summary for summary, _ in killed])
            for summary, failures in killed:
                print(f"\n{summary.name}: failed requests by what they got: {failures or 'none'}")
            print("\n## 5. throughput vs router processes (routed requests, no cache hits)\n")
            print_table(rows)
            print("\n| router processes | req/s | router CPU ms per request |\n|---|---|---|")
            for processes, row, ms in zip((1, 2), rows, cpu, strict=True):
                print(f"| {processes} | {row.rps:.0f} | {ms:.2f} |")
            print(f"\n2 processes vs 1: {rows[1].rps / rows[0].rps:.2f}x req/s (cores on this machine: {os.cpu_count()})")
            print("\n## 6. two replicas (Envoy + router each) on one Redis\n")
            print("| stored on A, asked on B | hits on B | conversations, turn 1 on A, turn 2 on B | kept their model |")
            print("|---|---|---|---|")
            print(f"| {sent} | {stored_hits} | {conversations} | {kept} |")
        finally:
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
