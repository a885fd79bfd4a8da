"""Metrics from finished records, the policy collector, and the bounded-label promise."""

from __future__ import annotations

from prometheus_client import generate_latest

from router_extproc.endpoints.usage import Usage
from router_extproc.routing.router import Router
from router_extproc.server.state import RouterState
from router_extproc.signals.base import SignalResult
from router_extproc.telemetry import RequestRecord, RouterMetrics


def _value(metrics: RouterMetrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


def test_a_routed_request_is_counted_everywhere(default_router: Router) -> None:
    metrics = RouterMetrics(RouterState(default_router))
    record = RequestRecord(endpoint="chat", decision="code", model="large", status=200, router_seconds=0.002,
                           ttfb_seconds=0.3, first_chunk_seconds=0.35, upstream_seconds=1.5, usage=Usage(100, 50),
                           cost_usd=0.001, usage_expected=True)
    record.signals = {"jailbreak": SignalResult("jailbreak", False, 0.1, latency_ms=0.25),
                      "domain": SignalResult("domain", True, 0.9, latency_ms=0.1, error="boom")}
    metrics.observe(record)
    assert _value(metrics, "router_requests_total", {"decision": "code", "model": "large", "outcome": "ok"}) == 1
    assert _value(metrics, "router_tokens_total", {"model": "large", "kind": "completion"}) == 50
    assert _value(metrics, "router_cost_usd_total", {"model": "large"}) == 0.001
    assert _value(metrics, "router_signal_duration_seconds_sum", {"signal": "jailbreak"}) == 0.00025
    assert _value(metrics, "router_signal_errors_total", {"signal": "domain"}) == 1
    assert _value(metrics, "router_upstream_first_chunk_seconds_count", {"model": "large"}) == 1
    assert _value(metrics, "router_decision_duration_seconds_bucket", {"le": "0.003"}) == 1


def test_outcomes_and_missing_usage(default_router: Router) -> None:
    metrics = RouterMetrics()
    metrics.observe(RequestRecord(endpoint="chat", decision="d", model="small", status=200, usage_expected=True))
    metrics.observe(RequestRecord(endpoint="chat", decision="d", model="small", status=502))
    metrics.observe(RequestRecord(endpoint="chat", decision="refused", status=400, refused_code="invalid_json"))
    metrics.observe(RequestRecord(endpoint="chat", decision="d", model="small", status=200, cancelled=True))
    metrics.observe(RequestRecord(endpoint=None))
    assert _value(metrics, "router_usage_missing_total", {"model": "small"}) == 1
    assert _value(metrics, "router_requests_total", {"decision": "d", "model": "small", "outcome": "upstream_error"}) == 1
    assert _value(metrics, "router_requests_total", {"decision": "d", "model": "small", "outcome": "cancelled"}) == 1
    assert _value(metrics, "router_refusals_total", {"code": "invalid_json"}) == 1
    assert _value(metrics, "router_requests_total", {"decision": "refused", "model": "none", "outcome": "refused"}) == 1


def test_policy_collector_follows_reloads(default_router: Router) -> None:
    state = RouterState(default_router)
    metrics = RouterMetrics(state)
    state.reject("bad yaml")
    assert _value(metrics, "router_policy_reloads_total", {"result": "failure"}) == 1
    assert _value(metrics, "router_policy_last_reload_failed") == 1
    state.replace(Router(default_router.policy, version="v2"))
    assert _value(metrics, "router_policy_reloads_total", {"result": "success"}) == 1
    assert _value(metrics, "router_policy_last_reload_failed") == 0
    assert _value(metrics, "router_policy_info", {"name": "default", "version": "v2"}) == 1
    text = generate_latest(metrics.registry).decode()
    assert 'version="1"' not in text  # the old version is gone, not left as a stale series
