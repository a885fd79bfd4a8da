"""OpenTelemetry traces: one span per ext_proc stream, a child per phase and per signal.

Off unless the standard variables ask for it: ``OTEL_TRACES_EXPORTER`` (``otlp`` or
``console``; ``none`` keeps it off) or an ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``.
Protocol, headers, sampler, batch sizes, service name and resource attributes come from
the other ``OTEL_*`` variables through the SDK itself.

The parent is Envoy's ext_proc span when Envoy traces (it sends ``traceparent`` in the gRPC
metadata), else the client's W3C ``traceparent`` request header, so the router's spans join
the request's trace. Spans are built from the timings in the ``RequestRecord`` when the
stream ends: nothing on the request path waits for tracing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter, SpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from router_extproc.telemetry.record import RequestRecord

log = logging.getLogger(__name__)

SERVICE_NAME = "router-extproc"
TRACE_HEADERS = ("traceparent", "tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()


class Tracing:
    """A tracer provider of our own (not the global one), and how to turn a record into spans."""

    def __init__(self, processor: SpanProcessor, resource: Resource | None = None) -> None:
        attributes = {} if "OTEL_SERVICE_NAME" in os.environ else {"service.name": SERVICE_NAME}
        self.provider = TracerProvider(resource=(resource or Resource.create(attributes)))
        self.provider.add_span_processor(processor)
        self.tracer = self.provider.get_tracer("router_extproc")

    def shutdown(self) -> None:
        """Flush what is queued (called on graceful stop)."""
        self.provider.shutdown()

    def export(self, record: RequestRecord, metadata: Mapping[str, str], headers: Mapping[str, str]) -> None:
        parent = parent_context(metadata, headers)
        root = self.tracer.start_span(
            "router.ext_proc", context=parent, kind=SpanKind.SERVER, start_time=record.started_ns,
            attributes=_root_attributes(record),
        )
        record.trace_id = format(root.get_span_context().trace_id, "032x")
        inside = trace.set_span_in_context(root)
        for name, (start_ns, end_ns, messages) in record.phases.items():
            phase = self.tracer.start_span(f"router.{name}", context=inside, start_time=start_ns,
                                           attributes={"router.messages": messages})
            if name == "request_body":
                self._signal_spans(record, trace.set_span_in_context(phase))
            phase.end(end_time=end_ns)
        if record.outcome in ("upstream_error", "fail_safe", "no_response"):
            root.set_status(Status(StatusCode.ERROR, record.outcome))
        root.end(end_time=max(record.ended_ns, record.started_ns))

    def _signal_spans(self, record: RequestRecord, context: Context) -> None:
        for ref, result in record.signals.items():
            if not result.started_ns:
                continue
            attributes: dict[str, str | float | bool] = {
                "router.signal": ref, "router.signal.score": float(result.score), "router.signal.matched": result.matched,
            }
            if result.error:
                attributes["router.signal.error"] = result.error[:200]
            span = self.tracer.start_span(f"signal {ref}", context=context, start_time=result.started_ns,
                                          attributes=attributes)
            span.end(end_time=result.started_ns + int(result.latency_ms * 1e6))


def parent_context(metadata: Mapping[str, str], headers: Mapping[str, str]) -> Context | None:
    """Envoy's span from the gRPC metadata if valid, else the client's ``traceparent``."""
    for carrier in (metadata, headers):
        if "traceparent" not in carrier:
            continue
        context = _PROPAGATOR.extract({k: carrier[k] for k in TRACE_HEADERS if k in carrier})
        if trace.get_current_span(context).get_span_context().is_valid:
            return context
    return None


def _root_attributes(record: RequestRecord) -> dict[str, str | int | float | bool]:
    attributes: dict[str, str | int | float | bool] = {
        "router.outcome": record.outcome,
        "router.request_id": record.request_id,
        "router.policy_version": record.policy_version,
    }
    optional = {
        "router.endpoint": record.endpoint,
        "router.decision": record.decision or None,
        "router.model": record.model or None,
        "router.reason": record.reason or None,
        "router.blocked_reason": record.blocked_reason,
        "router.refused_code": record.refused_code,
        "http.response.status_code": record.status,
        "router.cost_usd": record.cost_usd,
        "gen_ai.request.model": record.requested_model,
    }
    attributes |= {k: v for k, v in optional.items() if v is not None}
    if record.endpoint is not None:
        attributes["router.stream"] = record.stream
    if record.shadowed:
        attributes["router.shadow"] = ",".join(record.shadowed)
    if record.usage is not None:
        attributes["gen_ai.usage.input_tokens"] = record.usage.prompt_tokens
        attributes["gen_ai.usage.output_tokens"] = record.usage.completion_tokens
    return attributes


def tracing_from_env(environ: Mapping[str, str] | None = None) -> Tracing | None:
    """The tracing the ``OTEL_*`` variables ask for, or None (the default: off)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    wanted = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not wanted and (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")):
        wanted = "otlp"
    if wanted in ("", "none"):
        return None
    exporter = _exporter(wanted.split(",")[0].strip(), env)
    log.info("tracing on: %s exporter", type(exporter).__name__)
    return Tracing(BatchSpanProcessor(exporter))


def _exporter(name: str, env: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: this router supports otlp, console or none")
    protocol = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc").strip()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        return HttpExporter()
    raise ValueError(f"OTLP protocol {protocol!r}: use grpc or http/protobuf")
