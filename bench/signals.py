"""Signal latency and throughput, measured in the server process's code path.

    python bench/signals.py [--policy policies/default.yaml] [--iterations 300]

Table 1: all signals of the policy together (parse + one shared view + every signal + the
decision: ``Router.route``), p50/p99 per prompt length 16/64/256/1024 tokens, plus the
slowest signals. Table 2: throughput with 16 concurrent callers on the server's thread pool.
Route latency through Envoy is ``bench/overhead.py`` with the same policy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from router_extproc.classify import all_signals_policy  # noqa: E402
from router_extproc.endpoints import parse_request  # noqa: E402
from router_extproc.errors import RequestError  # noqa: E402
from router_extproc.policy import load_policy  # noqa: E402
from router_extproc.routing.router import Router  # noqa: E402

TEXT = (
    "I am planning a small vegetable garden in my backyard and want to know which plants grow well together. "
    "The soil is a bit sandy, the spot gets about six hours of sun, and I would like tomatoes, basil, carrots "
    "and some lettuce. Could you suggest a layout, a watering schedule and what to do about snails? Also, what "
    "is the chemistry behind adding compost, and how much should I add per square metre for the first season? "
)


def prompt_of(router: Router, tokens: int) -> str:
    tokenizer = router.signals.tokenizer  # the same tokenizer the signals use
    ids = tokenizer.ids(TEXT * (tokens // 40 + 2))[:tokens]
    return tokenizer._tokenizer.decode(ids.tolist())


def body(prompt: str) -> bytes:
    return json.dumps({"model": "auto", "messages": [{"role": "user", "content": prompt}]}).encode()


def route_once(router: Router, raw: bytes) -> float:
    started = time.perf_counter()
    with contextlib.suppress(RequestError):
        router.route(parse_request("chat", raw))
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default=str(REPO / "policies" / "default.yaml"))
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--all-signals", action="store_true", help="switch on every built-in signal")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    router = Router(all_signals_policy(policy) if args.all_signals else policy)
    print(f"policy {policy.name}: signals {[s.ref for s in router.signals.signals]}\n")

    print("| prompt tokens | p50 ms | p99 ms | mean ms | slowest signals (p50 ms) |")
    print("|---|---|---|---|---|")
    for tokens in (16, 64, 256, 1024):
        raw = body(prompt_of(router, tokens))
        for _ in range(20):
            route_once(router, raw)
        times, per_signal = [], defaultdict(list)
        request = parse_request("chat", raw)
        for _ in range(args.iterations):
            times.append(route_once(router, raw))
        for _ in range(min(100, args.iterations)):
            for ref, result in router.compute_signals(request).items():
                per_signal[ref].append(result.latency_ms)
        slow = sorted(((statistics.median(v), k) for k, v in per_signal.items()), reverse=True)[:3]
        print(f"| {tokens} | {pct(times, .5):.2f} | {pct(times, .99):.2f} | {statistics.mean(times):.2f} | "
              + ", ".join(f"{k} {v:.2f}" for v, k in slow) + " |")

    raw = body(prompt_of(router, 64))
    print("\n| load (64-token prompts, all signals) | requests | wall s | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    n = args.iterations * 4
    for clients, workers in ((1, 1), (16, 2), (16, 16)):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            started = time.perf_counter()
            if clients == 1:
                times = [route_once(router, raw) for _ in range(n)]
            else:  # 16 requests in flight at all times, queued on the worker pool (as in the server)
                times = list(pool.map(lambda _: route_once(router, raw), range(n)))
            wall = time.perf_counter() - started
        label = "sequential" if clients == 1 else f"{clients} concurrent, {workers} worker threads"
        print(f"| {label} | {n} | {wall:.2f} | {n / wall:.0f} | {pct(times, .5):.2f} | {pct(times, .99):.2f} |")

    from router_extproc.encoder.batcher import MicroBatcher
    from router_extproc.encoder.onnx_encoder import MiniLMEncoder

    encoder = MiniLMEncoder(threads=2)
    ids = router.signals.tokenizer.ids(prompt_of(router, 64))
    batcher = MicroBatcher(encoder.embed_ids, max_batch=16)
    m = max(64, args.iterations // 2)
    print("\n| MiniLM int8 encoder, 64 tokens, 16 concurrent callers | requests | req/s | mean batch |")
    print("|---|---|---|---|")
    for label, fn in (("one inference per request", lambda _: encoder.embed_ids([ids])),
                      ("micro-batched", lambda _: batcher.embed(ids))):
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(fn, range(16)))
            before = (batcher.batches, batcher.items)
            started = time.perf_counter()
            list(pool.map(fn, range(m)))
            wall = time.perf_counter() - started
        batches, items = batcher.batches - before[0], batcher.items - before[1]
        mean = f"{items / batches:.1f}" if batches else "1"
        print(f"| {label} | {m} | {m / wall:.0f} | {mean} |")
    batcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
