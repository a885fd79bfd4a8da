"""Router overhead through the real Envoy: the same requests with and without ext_proc.

Three Envoys rendered from the same policy: without the ext_proc filter, with it but
``allow_mode_override: false`` (so the router never reads response bodies: no usage
accounting), and as shipped (usage read from every JSON response). The same demo backend,
the same client, measured in one run, interleaved in rounds so machine noise hits all.
Prints p50/p99 and req/s for each and their ratios.

    python bench/overhead.py [--requests 2000] [--concurrency 16] [--rounds 3] [--stream]

``--stream`` asks for SSE answers (the demo backend sends 7 events): the router then reads
every chunk Envoy forwards.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import yaml
from common import Summary, print_table, run_load

from router_extproc.demo.backend import BackendServer
from router_extproc.demo.stack import EnvoyProcess, RouterProcess, free_port
from router_extproc.envoy_config.bootstrap import EnvoyOptions, EnvoyPorts, render_bootstrap
from router_extproc.policy import load_policy

REPO = pathlib.Path(__file__).resolve().parent.parent
BODY = json.dumps({"model": "auto", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is a good way to learn to cook simple weeknight dinners?"},
]}).encode()


def merge(rounds: list[Summary]) -> Summary:
    n = len(rounds)
    return Summary(rounds[0].name, sum(r.count for r in rounds), sum(r.errors for r in rounds),
                   sorted(r.p50_ms for r in rounds)[n // 2], sorted(r.p99_ms for r in rounds)[n // 2],
                   sorted(r.rps for r in rounds)[n // 2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default=str(REPO / "policies" / "default.yaml"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stream", action="store_true", help="SSE answers (stream: true)")
    args = parser.parse_args()
    body = BODY if not args.stream else json.dumps(json.loads(BODY) | {"stream": True}).encode()

    policy = load_policy(args.policy)
    backend = BackendServer("bench").start()
    router = RouterProcess(pathlib.Path(args.policy), extra_args=()).start()
    envoys: list[EnvoyProcess] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ports = {}
            for variant in ("envoy only", "envoy + router, no usage", "envoy + router"):
                p = EnvoyPorts(listener=free_port(), admin=free_port(), router=router.port)
                options = EnvoyOptions(upstream_overrides={m: ("127.0.0.1", backend.port) for m in policy.models},
                                       access_log=False)
                config = render_bootstrap(policy, p, options)
                hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
                if variant == "envoy only":
                    hcm["http_filters"] = [f for f in hcm["http_filters"] if f["name"] != "envoy.filters.http.ext_proc"]
                elif variant.endswith("no usage"):
                    ext_proc = next(f for f in hcm["http_filters"] if f["name"] == "envoy.filters.http.ext_proc")
                    ext_proc["typed_config"]["allow_mode_override"] = False
                envoys.append(EnvoyProcess(yaml.safe_dump(config), p.admin, pathlib.Path(tmp)).start())
                ports[variant] = p.listener
            results: dict[tuple[str, int], list[Summary]] = {}
            for _ in range(args.rounds):
                for concurrency in (1, args.concurrency):
                    n = args.requests if concurrency == 1 else args.requests * 2
                    for variant, port in ports.items():
                        run_load(variant, port, "/v1/chat/completions", body, 100, concurrency)  # warm-up
                        mode = "sequential" if concurrency == 1 else f"{concurrency} concurrent"
                        summary = run_load(f"{mode}, {variant}", port, "/v1/chat/completions", body, n, concurrency)
                        results.setdefault((variant, concurrency), []).append(summary)
    finally:
        for envoy in envoys:
            envoy.stop()
        router.stop()
        backend.stop()

    rows = [merge(v) for v in results.values()]
    kind = "SSE answers" if args.stream else "JSON answers"
    print(f"\nrouter overhead, median of {args.rounds} rounds, body {len(body)} bytes, {kind}, policy {policy.name}\n")
    print_table(rows)
    print("\n| load | variant | router-added p50 ms | p50 ratio | req/s ratio |")
    print("|---|---|---|---|---|")
    for concurrency in (1, args.concurrency):
        base = merge(results[("envoy only", concurrency)])
        label = "sequential" if concurrency == 1 else f"{concurrency} concurrent"
        for variant in ("envoy + router, no usage", "envoy + router"):
            with_router = merge(results[(variant, concurrency)])
            print(f"| {label} | {variant} | {with_router.p50_ms - base.p50_ms:.2f} | "
                  f"{with_router.p50_ms / base.p50_ms:.2f} | {with_router.rps / base.rps:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
