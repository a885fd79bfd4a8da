"""Spans from a real gRPC stream, exported to the SDK's in-memory exporter."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings
from router_extproc.server.state import RouterState
from router_extproc.telemetry import Telemetry
from router_extproc.telemetry.tracing import Tracing, tracing_from_env
from tests.helpers import chat, header_map, request_body_msg, request_headers_msg, response_headers_msg

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
ENVOY_SPAN = "00f067aa0ba902b7"
CLIENT_SPAN = "b7ad6b7169203331"


@pytest.fixture
async def traced(default_router: Router):
    exporter = InMemorySpanExporter()
    telemetry = Telemetry(tracing=Tracing(SimpleSpanProcessor(exporter)))
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(default_router), telemetry)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}")
    yield pb_grpc.ExternalProcessorStub(channel), exporter
    await channel.close()
    await server.stop()


async def _run(stub, messages, metadata=()) -> None:
    call = stub.Process(metadata=metadata)
    for message in messages:
        await call.write(message)
        await call.read()
    await call.done_writing()
    assert await call.read() == grpc.aio.EOF


def _body_end(data: bytes) -> pb.ProcessingRequest:
    return pb.ProcessingRequest(response_body=pb.HttpBody(body=data, end_of_stream=True))


def _json_response_headers() -> pb.ProcessingRequest:
    values = {":status": "200", "content-type": "application/json", "content-length": "60"}
    return pb.ProcessingRequest(response_headers=pb.HttpHeaders(headers=header_map(values)))


async def test_stream_span_with_phases_and_signals_under_envoys_span(traced) -> None:
    stub, exporter = traced
    messages = [
        request_headers_msg(traceparent=f"00-{TRACE_ID}-{CLIENT_SPAN}-01"),
        request_body_msg(chat("please fix this python function")),
        _json_response_headers(),
        _body_end(b'{"usage": {"prompt_tokens": 40, "completion_tokens": 20}}'),
    ]
    await _run(stub, messages, metadata=(("traceparent", f"00-{TRACE_ID}-{ENVOY_SPAN}-01"),))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    root = spans["router.ext_proc"]
    assert format(root.context.trace_id, "032x") == TRACE_ID
    assert format(root.parent.span_id, "016x") == ENVOY_SPAN  # Envoy's metadata wins over the header
    assert root.attributes["router.decision"] == "code"
    assert root.attributes["router.model"] == "large"
    assert root.attributes["router.outcome"] == "ok"
    assert root.attributes["gen_ai.usage.input_tokens"] == 40
    assert root.attributes["router.cost_usd"] > 0
    for phase in ("request_headers", "request_body", "response_headers", "response_body"):
        span = spans[f"router.{phase}"]
        assert span.parent.span_id == root.context.span_id
        assert root.start_time <= span.start_time <= span.end_time <= root.end_time
    body = spans["router.request_body"]
    signal_spans = [s for s in exporter.get_finished_spans() if s.name.startswith("signal ")]
    assert {s.attributes["router.signal"] for s in signal_spans} >= {"jailbreak", "domain", "pii", "keyword:code"}
    assert all(s.parent.span_id == body.context.span_id for s in signal_spans)
    assert all(body.start_time <= s.start_time and s.end_time <= body.end_time for s in signal_spans)
    assert not any("python" in str(v) for s in exporter.get_finished_spans() for v in s.attributes.values())


async def test_client_traceparent_is_the_parent_without_envoy_tracing(traced) -> None:
    stub, exporter = traced
    await _run(stub, [request_headers_msg(traceparent=f"00-{TRACE_ID}-{CLIENT_SPAN}-01"),
                      request_body_msg(chat("hello")), response_headers_msg("503")])
    root = next(s for s in exporter.get_finished_spans() if s.name == "router.ext_proc")
    assert format(root.parent.span_id, "016x") == CLIENT_SPAN
    assert root.attributes["router.outcome"] == "upstream_error"
    assert not root.status.is_ok


async def test_no_traceparent_starts_a_new_trace(traced) -> None:
    stub, exporter = traced
    await _run(stub, [request_headers_msg(method="GET", path="/v1/models")])
    root = next(s for s in exporter.get_finished_spans() if s.name == "router.ext_proc")
    assert root.parent is None
    assert root.attributes["router.outcome"] == "passthrough"


def test_tracing_is_off_unless_the_otel_variables_ask() -> None:
    assert tracing_from_env({}) is None
    assert tracing_from_env({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4317"}) is None
    assert tracing_from_env({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}) is None
    for env in ({"OTEL_TRACES_EXPORTER": "console"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"},
                {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}):
        tracing = tracing_from_env(env)
        assert tracing is not None
        tracing.shutdown()
    with pytest.raises(ValueError, match="zipkin"):
        tracing_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})
