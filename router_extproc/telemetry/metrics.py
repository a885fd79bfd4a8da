"""Prometheus metrics, served on their own port (never on the ext_proc port).

Every label value comes from a bounded set: decision and model names from the policy in
force, signal refs from the policy, fixed outcome/kind/result words, gRPC status names.
Never a request id, user id, requested model string or any prompt text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from router_extproc.telemetry.record import RequestRecord

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: half the scrape size, nothing a dashboard uses

# Router work is sub-millisecond to a few ms; upstream times are seconds to minutes.
ROUTER_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
UPSTREAM_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
UNKNOWN = "none"


class RouterMetrics:
    """The router's metrics in one registry (a private one per instance, so tests and
    several servers in one process do not collide)."""

    def __init__(self, state: PolicyStatus | None = None, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "router_requests", "LLM requests by decision, chosen model and outcome.",
            ["decision", "model", "outcome"], registry=r,
        )
        self.fail_safe = Counter(
            "router_fail_safe", "Requests the router failed on (a bug) and sent to the default model, by exception "
            "class.", ["error"], registry=r,
        )
        self.blocks = Counter("router_blocks", "Requests refused by a policy decision, by reason.", ["reason"], registry=r)
        self.refusals = Counter(
            "router_refusals", "Requests refused as invalid (400/404/413), by error code.", ["code"], registry=r
        )
        self.shadow_decisions = Counter(
            "router_shadow_decisions", "Shadow-mode decisions that matched (would have applied), by decision.",
            ["decision"], registry=r,
        )
        self.signal_seconds = Histogram(
            "router_signal_duration_seconds", "Time each signal took, per signal ref.", ["signal"],
            buckets=ROUTER_BUCKETS, registry=r,
        )
        self.signal_errors = Counter(
            "router_signal_errors", "Signals that failed and reported their on_error choice.", ["signal"], registry=r
        )
        self.decision_seconds = Histogram(
            "router_decision_duration_seconds",
            "Body phase in the router: parse, every signal, the decision and the body rewrite.",
            buckets=ROUTER_BUCKETS, registry=r,
        )
        self.ttfb_seconds = Histogram(
            "router_upstream_ttfb_seconds", "From the routed request to the model's response headers.", ["model"],
            buckets=UPSTREAM_BUCKETS, registry=r,
        )
        self.first_chunk_seconds = Histogram(
            "router_upstream_first_chunk_seconds", "Streams: from the routed request to the first body chunk.",
            ["model"], buckets=UPSTREAM_BUCKETS, registry=r,
        )
        self.upstream_seconds = Histogram(
            "router_upstream_duration_seconds", "From the routed request to the end of the response body.",
            ["model"], buckets=UPSTREAM_BUCKETS, registry=r,
        )
        self.tokens = Counter("router_tokens", "Tokens the models reported, by model and kind.", ["model", "kind"], registry=r)
        self.cost = Counter("router_cost_usd", "Cost at the policy's prices, by model (USD).", ["model"], registry=r)
        self.cascades = Counter("router_cascades", "Requests that cascaded, by decision, outcome (kept or "
                                "escalated) and reason (agree, disagree, no_opinion, a rule).",
                                ["decision", "outcome", "reason"], registry=r)
        self.fallbacks = Counter("router_fallbacks", "Requests another model answered after the chosen one's "
                                 "upstream failed (Envoy's fallback chain), by decision, chosen and answering model.",
                                 ["decision", "chosen", "model"], registry=r)
        self.model_calls = Counter("router_model_calls", "Model calls of cascaded requests, by model and stage "
                                   "(cheap, second, strong).", ["model", "stage"], registry=r)
        self.usage_missing = Counter(
            "router_usage_missing", "Successful responses that reported no token usage.", ["model"], registry=r
        )
        self.streams = Counter("router_ext_proc_streams", "ext_proc streams (one per HTTP request).", registry=r)
        self.streams_active = Gauge("router_ext_proc_streams_active", "ext_proc streams open now.", registry=r)
        self.stream_errors = Counter(
            "router_ext_proc_stream_errors",
            "ext_proc streams that broke while Envoy waited on the router (timeout, failure), by gRPC status.",
            ["code"], registry=r,
        )
        self.streams_abandoned = Counter(
            "router_ext_proc_streams_abandoned",
            "ext_proc streams Envoy ended while the router waited for the request (client gone, or a request "
            "Envoy refused itself): not router errors.", registry=r,
        )
        self.cache = Counter(
            "router_cache_requests", "Requests through the response cache: hit, miss or bypass, by how it hit or "
            "why it bypassed.", ["result", "reason"], registry=r,
        )
        self.cache_store_errors = Counter(
            "router_cache_store_errors", "Cache store calls that failed or timed out (each a bypass).", registry=r,
        )
        if state is not None:
            r.register(PolicyCollector(state))

    def observe(self, record: RequestRecord) -> None:
        """Count one finished request (called once per LLM stream)."""
        outcome = record.outcome
        if outcome == "passthrough":
            return
        model = record.model or UNKNOWN
        self.requests.labels(record.decision or UNKNOWN, model, outcome).inc()
        if record.error is not None:
            self.fail_safe.labels(record.error).inc()
        if record.blocked_reason is not None:
            self.blocks.labels(record.blocked_reason).inc()
        if record.refused_code is not None:
            self.refusals.labels(record.refused_code).inc()
        for name in record.shadowed:
            self.shadow_decisions.labels(name).inc()
        for ref, result in record.signals.items():
            self.signal_seconds.labels(ref).observe(result.latency_ms / 1000)
            if result.error:
                self.signal_errors.labels(ref).inc()
        if record.router_seconds is not None:
            self.decision_seconds.observe(record.router_seconds)
        if record.ttfb_seconds is not None:
            self.ttfb_seconds.labels(model).observe(record.ttfb_seconds)
        if record.first_chunk_seconds is not None:
            self.first_chunk_seconds.labels(model).observe(record.first_chunk_seconds)
        if record.upstream_seconds is not None:
            self.upstream_seconds.labels(model).observe(record.upstream_seconds)
        if record.fallback_from is not None:
            self.fallbacks.labels(record.decision or UNKNOWN, record.fallback_from, model).inc()
        if record.cascade is not None:
            self.cascades.labels(record.decision or UNKNOWN, record.cascade, record.cascade_reason or UNKNOWN).inc()
        if record.calls:  # several calls (a cascade): each counted on its own model
            for call in record.calls:
                self.model_calls.labels(call.model, call.stage).inc()
                if call.usage is not None:
                    self.tokens.labels(call.model, "prompt").inc(call.usage.prompt_tokens)
                    self.tokens.labels(call.model, "completion").inc(call.usage.completion_tokens)
                if call.cost_usd is not None:
                    self.cost.labels(call.model).inc(call.cost_usd)
            return
        if record.usage is not None:
            self.tokens.labels(model, "prompt").inc(record.usage.prompt_tokens)
            self.tokens.labels(model, "completion").inc(record.usage.completion_tokens)
        elif record.usage_expected and outcome == "ok":
            self.usage_missing.labels(model).inc()
        if record.cost_usd is not None:
            self.cost.labels(model).inc(record.cost_usd)
        if record.cache is not None:
            self.cache.labels(record.cache, record.cache_reason or "").inc()
        if record.cache_store_errors:
            self.cache_store_errors.inc(record.cache_store_errors)

    def serve(self, port: int, host: str = "127.0.0.1") -> MetricsServer:
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics on http://%s:%d/metrics", host, server.server_port)
        return MetricsServer(server, thread)


class MetricsServer:
    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return self._server.server_port

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ReloadCounts(Protocol):
    version: str
    reloads_ok: int
    reloads_failed: int
    last_error: str | None


class PolicyStatus(Protocol):
    """What the metrics read about the policy in force (the server's ``RouterState``)."""

    @property
    def status(self) -> ReloadCounts: ...

    @property
    def policy_name(self) -> str: ...


class PolicyCollector(Collector):
    """Reload counters and the active policy, read from the server's state at scrape time."""

    def __init__(self, state: PolicyStatus) -> None:
        self._state = state

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        status = self._state.status
        reloads = CounterMetricFamily("router_policy_reloads", "Policy reloads by result.", labels=["result"])
        reloads.add_metric(["success"], status.reloads_ok)
        reloads.add_metric(["failure"], status.reloads_failed)
        yield reloads
        info = GaugeMetricFamily(
            "router_policy_info", "The policy in force (value 1), by name and version.", labels=["name", "version"]
        )
        info.add_metric([self._state.policy_name, status.version], 1)
        yield info
        failing = GaugeMetricFamily(
            "router_policy_last_reload_failed", "1 while the newest policy on disk was rejected (the old one serves)."
        )
        failing.add_metric([], 1 if status.last_error else 0)
        yield failing
