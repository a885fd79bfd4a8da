"""Cascade and fallback latency through the real Envoy: what the router adds beyond the models.

One stack (Envoy + router + demo backends with fixed delays, one request at a time, the kinds
interleaved so machine noise hits all) and five kinds of request:

- ``single``: the cheap model named explicitly (no cascade): one call through Envoy;
- ``strong``: the strong model named explicitly: its own time through Envoy;
- ``kept``: a cascade whose two cheap answers agree (the second opinion runs in parallel);
- ``escalated``: a cascade whose cheap answers disagree: the strong model answers after them;
- ``fail``: a model whose server answers 503 named explicitly (one failed try);
- ``fallback``: a fallback decision whose first model answers 503: Envoy retries the next one.

Added latency, as differences of medians: ``kept - single`` (the second opinion runs in
parallel and answers as fast as the cheap model); ``escalated - kept - delay`` (the strong call
beyond the strong model's own answer time, ``--delay-ms``: the router's verdict, the side call
through Envoy's internal listener, the body swap); ``fallback - single``, against ``fail`` (one
failed try through Envoy). ``single`` and ``strong`` each pay the whole client path (Envoy, the
router's request phases, the upstream); a side call pays only the internal listener, so
``escalated - single - strong`` would undercount. Targets (issue 14): the cascade's added p50
<= 5 ms; a fallback adds <= 1 retry's time.

    python bench/cascade.py [--requests 100] [--delay-ms 40]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from router_extproc.demo.backend import Behaviour
from router_extproc.demo.stack import running_stack
from tests.helpers import http_request

QUESTION = "Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9"
POLICY = """
version: 1
name: cascade-bench
default_model: cheap
models:
  cheap: {provider_model_id: org/cheap, cost: {input_per_1m: 0.05, output_per_1m: 0.08}, privacy: local}
  second: {provider_model_id: org/second, cost: {input_per_1m: 0.1, output_per_1m: 0.4}, privacy: local}
  strong: {provider_model_id: org/strong, cost: {input_per_1m: 0.6, output_per_1m: 0.8}, privacy: local}
  broken: {provider_model_id: org/broken, cost: {input_per_1m: 0.05, output_per_1m: 0.08}, privacy: local}
signals:
  keyword:
    - {name: fallback, any: ["please fall back"]}
    - {name: any, regex: ['(?s).']}
decisions:
  - name: fallback
    priority: 10
    when: {signal: "keyword:fallback"}
    models: [broken, cheap]
    fallback: {attempts: 2}
  - name: cascade
    when: {signal: "keyword:any"}
    models: [cheap, second, strong]
    strategy: {type: cascade, threshold: 0.5, difficulty_weight: 0}
"""


def body(content: str, model: str = "auto") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": content}]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="requests per kind")
    parser.add_argument("--delay-ms", type=float, default=40.0, help="each model's answer time")
    args = parser.parse_args()
    delay = args.delay_ms / 1000
    kinds = {
        "single": (body(QUESTION, "cheap"), None),
        "strong": (body(QUESTION, "strong"), None),
        "kept": (body(QUESTION), "kept:agree"),
        "escalated": (body(QUESTION + "\n(disagree)"), "escalated:disagree"),
        "fail": (body(QUESTION, "broken"), None),
        "fallback": (body(QUESTION + "\nplease fall back"), None),
    }
    times: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "policy.yaml"
        path.write_text(POLICY)
        with running_stack(path) as stack:
            for name in ("cheap", "second", "strong"):
                stack.backends[name].behaviour = Behaviour(text="The answer is (C).", delay=delay)
            stack.backends["broken"].behaviour = Behaviour(status=503)
            # the second opinion disagrees only on the prompts marked so: a backend answer per prompt
            second = stack.backends["second"]
            for i in range(args.requests + 5):
                for kind, (payload, expect) in kinds.items():
                    second.behaviour = Behaviour(text="The answer is (A)." if kind == "escalated" else
                                                 "The answer is (C).", delay=delay)
                    started = time.perf_counter()
                    reply = http_request(stack.url + "/v1/chat/completions", body=payload)
                    elapsed = (time.perf_counter() - started) * 1000
                    if expect is not None and reply.headers.get("x-router-cascade-outcome") != expect:
                        raise SystemExit(f"{kind}: expected {expect}, got {reply.headers}")
                    if kind == "fallback" and reply.headers.get("x-router-fallback") != "broken>cheap":
                        raise SystemExit(f"fallback did not happen: {reply.status} {reply.headers}")
                    if i >= 5:  # warm-up
                        times[kind].append(elapsed)
    p50 = {k: statistics.median(v) for k, v in times.items()}
    p90 = {k: sorted(v)[int(0.9 * len(v))] for k, v in times.items()}
    print(f"model answer time {args.delay_ms:g} ms, {args.requests} requests per kind, one at a time\n")
    print("| kind | p50 ms | p90 ms |\n|---|---|---|")
    for kind in kinds:
        print(f"| {kind} | {p50[kind]:.1f} | {p90[kind]:.1f} |")
    added = {
        "cascade kept: kept - single": p50["kept"] - p50["single"],
        "cascade escalated: escalated - kept - strong model's answer time": p50["escalated"] - p50["kept"] - args.delay_ms,
        "fallback: fallback - single": p50["fallback"] - p50["single"],
        "one failed try through Envoy (fail)": p50["fail"],
    }
    print("\n| added latency (p50 differences) | ms |\n|---|---|")
    for name, value in added.items():
        print(f"| {name} | {value:.1f} |")
    print("\n" + json.dumps({"p50_ms": p50, "added_ms": added}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
