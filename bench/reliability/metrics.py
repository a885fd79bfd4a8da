"""Reading the router's Prometheus text (as a scraper would) for the counters the suite checks."""

from __future__ import annotations

from router_extproc.demo.stack import RouterProcess
from router_extproc.routing.plan import DEADLINE_EXCEEDED


def total(text: str, name: str, **labels: str) -> float:
    """Sum of ``name``'s samples whose labels include ``labels``."""
    value = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, number = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        if metric != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            value += float(number)
    return value


def fail_safe(router: RouterProcess) -> tuple[float, float]:
    """From one scrape: requests the router failed on (a bug) and sent to the default model, and
    requests whose work overran ``limits.decision_ms``, answered by the router with the default model."""
    text = router.metrics()
    overran = total(text, "router_fail_safe_total", error=DEADLINE_EXCEEDED)
    return total(text, "router_fail_safe_total") - overran, overran
