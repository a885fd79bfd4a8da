"""``router-extproc classify "prompt"``: every signal with its score, labels and latency."""

from __future__ import annotations

import json
import time

from router_extproc.endpoints import parse_request
from router_extproc.policy import Policy, load_policy
from router_extproc.policy.spec import SINGLE_SIGNALS
from router_extproc.routing.router import Router


def all_signals_policy(base: Policy) -> Policy:
    """The given policy with every built-in signal switched on (for inspection)."""
    signals = base.signals.model_dump(by_alias=True)
    for builtin in SINGLE_SIGNALS:
        if signals.get(builtin) is None:
            signals[builtin] = {}
    return Policy.model_validate(base.model_dump(by_alias=True) | {"signals": signals})


def classify(prompt: str, policy_path: str, as_json: bool = False) -> int:
    router = Router(all_signals_policy(load_policy(policy_path)))
    body = json.dumps({"model": router.policy.auto_model_names[0], "messages": [{"role": "user", "content": prompt}]})
    request = parse_request("chat", body.encode())
    router.compute_signals(request)  # warm caches (first call pays lazy loads)
    started = time.perf_counter()
    results = router.compute_signals(request)
    total = (time.perf_counter() - started) * 1000
    from router_extproc.errors import RequestError

    try:
        choice = router.route(request).choice
    except RequestError as refused:
        choice = None
        if not as_json:
            print(f"refused: {refused.status} {refused.code}")
    if as_json:
        print(json.dumps({ref: {"matched": r.matched, "score": round(r.score, 4), "confidence": round(r.confidence, 4),
                                "labels": sorted(r.labels), "latency_ms": r.latency_ms, "details": r.details}
                          for ref, r in results.items()} | {"_total_ms": round(total, 3)}, indent=2, default=str))
        return 0
    print(f"{'signal':<28} {'match':<6} {'score':>8} {'conf':>6} {'ms':>7}  labels / details")
    for ref, r in results.items():
        extra = ", ".join(sorted(r.labels))
        if ref == "domain" and r.details:
            extra = " ".join(f"{label}:{p}" for label, p in r.details["top"])
        if ref == "pii" and r.details:
            extra = ", ".join(f"{s['type']}@{s['start']}-{s['end']}" for s in r.details["spans"])
        print(f"{ref:<28} {str(r.matched):<6} {r.score:>8.3f} {r.confidence:>6.2f} {r.latency_ms:>7.3f}  {extra}")
    print(f"{'all signals':<28} {'':<6} {'':>8} {'':>6} {total:>7.3f}")
    if choice:
        print(f"decision: {choice.decision} -> {choice.model} ({choice.reason})")
    return 0
