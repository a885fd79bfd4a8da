"""Reading the router's Prometheus text (as a scraper would) for the counters the suite checks."""

from __future__ import annotations

from router_extproc.demo.stack import RouterProcess


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


def error_path(router: RouterProcess) -> float:
    """Requests the router failed on and sent to the default model."""
    return total(router.metrics(), "router_fail_safe_total")
