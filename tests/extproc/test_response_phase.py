"""The response phase over a real in-process gRPC stream: body modes chosen per response,
usage read from JSON and SSE bodies, the client's bytes unchanged, one record per stream."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from router_extproc.extproc.responses import ProcessingMode
from router_extproc.extproc.routing_processor import RoutingProcessor
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings
from router_extproc.server.state import RouterState
from router_extproc.telemetry import RouterMetrics, Telemetry
from tests.helpers import chat, header_map, request_body_msg, request_headers_msg
from tests.helpers import exchange as exchange_messages


@pytest.fixture
async def served(default_router: Router):
    metrics = RouterMetrics()
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(default_router), Telemetry(metrics))
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}")
    yield pb_grpc.ExternalProcessorStub(channel), metrics
    await channel.close()
    await server.stop()


def response_headers(**values: str) -> pb.ProcessingRequest:
    values = {":status": "200", **{k.replace("_", "-"): v for k, v in values.items()}}
    return pb.ProcessingRequest(response_headers=pb.HttpHeaders(headers=header_map(values)))


def response_body(data: bytes, end: bool) -> pb.ProcessingRequest:
    return pb.ProcessingRequest(response_body=pb.HttpBody(body=data, end_of_stream=end))


async def exchange(stub, *messages: pb.ProcessingRequest) -> list[pb.ProcessingResponse]:
    """One whole exchange; the stream record is written when the stream closes."""
    replies = await exchange_messages(stub, *messages)
    await asyncio.sleep(0.01)
    return replies


def tokens(metrics: RouterMetrics, model: str, kind: str) -> float:
    return metrics.registry.get_sample_value("router_tokens_total", {"model": model, "kind": kind}) or 0


async def test_json_with_length_is_buffered_and_counted(served) -> None:
    stub, metrics = served
    usage = b'{"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 12}}'
    replies = await exchange(stub, request_headers_msg(), request_body_msg(chat("fix my python code")),
                             response_headers(content_type="application/json", content_length=str(len(usage))),
                             response_body(usage, True))
    assert replies[2].mode_override.response_body_mode == ProcessingMode.BUFFERED
    assert not replies[3].response_body.response.HasField("body_mutation")
    assert tokens(metrics, "large", "prompt") == 30 and tokens(metrics, "large", "completion") == 12


async def test_json_without_length_is_streamed_and_joined(served) -> None:
    stub, metrics = served
    whole = b'{"id": "x", "usage": {"prompt_tokens": 5, "completion_tokens": 3}}'
    replies = await exchange(stub, request_headers_msg(), request_body_msg(chat("hello")),
                             response_headers(content_type="application/json; charset=utf-8"),
                             response_body(whole[:20], False), response_body(whole[20:], True))
    assert replies[2].mode_override.response_body_mode == ProcessingMode.STREAMED
    assert tokens(metrics, "small", "completion") == 3


async def test_sse_is_streamed_and_the_injected_usage_event_removed(served) -> None:
    stub, metrics = served
    replies = await exchange(
        stub, request_headers_msg(), request_body_msg(chat("hello", stream=True)),
        response_headers(content_type="text/event-stream"),
        response_body(b'data: {"choices": [{"delta": {"content": "hi"}}], "usage": null}\n\n', False),
        response_body(b'data: {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}\n\n'
                      b"data: [DONE]\n\n", True),
    )
    forwarded = json.loads(replies[1].request_body.response.body_mutation.body)
    assert forwarded["stream_options"] == {"include_usage": True}
    assert replies[2].mode_override.response_body_mode == ProcessingMode.STREAMED
    assert replies[3].response_body.response.body_mutation.body == b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n'
    assert replies[4].response_body.response.body_mutation.body == b"data: [DONE]\n\n"
    assert tokens(metrics, "small", "prompt") == 9


@pytest.mark.parametrize("status, content_type", [("500", "application/json"), ("200", "text/plain")])
async def test_errors_and_other_bodies_are_not_read(served, status: str, content_type: str) -> None:
    stub, metrics = served
    replies = await exchange(stub, request_headers_msg(), request_body_msg(chat("hello")),
                             response_headers(**{":status": status, "content_type": content_type}))
    assert replies[2].mode_override.response_body_mode == ProcessingMode.NONE
    outcome = "upstream_error" if status == "500" else "ok"
    assert metrics.registry.get_sample_value(
        "router_requests_total", {"decision": "chit-chat", "model": "small", "outcome": outcome}) == 1
    assert metrics.registry.get_sample_value("router_usage_missing_total", {"model": "small"}) is None


async def test_a_stream_cut_mid_answer_is_cancelled_not_ok(served) -> None:
    stub, metrics = served
    call = stub.Process()
    for message in (request_headers_msg(), request_body_msg(chat("hello", stream=True)),
                    response_headers(content_type="text/event-stream")):
        await call.write(message)
        await call.read()
    call.cancel()
    for _ in range(100):
        if metrics.registry.get_sample_value("router_ext_proc_streams_abandoned_total"):
            break
        await asyncio.sleep(0.02)
    # the router was waiting for the next chunk: the client went away, the router did not fail
    assert metrics.registry.get_sample_value("router_ext_proc_streams_abandoned_total") == 1
    assert metrics.registry.get_sample_value("router_ext_proc_stream_errors_total", {"code": "CANCELLED"}) is None
    assert metrics.registry.get_sample_value(
        "router_requests_total", {"decision": "chit-chat", "model": "small", "outcome": "cancelled"}) == 1


async def test_a_stream_cut_while_the_router_answers_is_a_router_error(served, monkeypatch) -> None:
    stub, metrics = served
    started = asyncio.Event()

    async def stuck(self, body):
        started.set()
        await asyncio.sleep(30)  # as if the router were slower than Envoy's message_timeout

    monkeypatch.setattr(RoutingProcessor, "on_request_body", stuck)
    call = stub.Process()
    await call.write(request_headers_msg())
    await call.read()
    await call.write(request_body_msg(chat("hello")))
    await asyncio.wait_for(started.wait(), 5)
    call.cancel()
    for _ in range(100):
        if metrics.registry.get_sample_value("router_ext_proc_stream_errors_total", {"code": "CANCELLED"}):
            break
        await asyncio.sleep(0.02)
    assert metrics.registry.get_sample_value("router_ext_proc_stream_errors_total", {"code": "CANCELLED"}) == 1
    assert metrics.registry.get_sample_value("router_ext_proc_streams_abandoned_total") == 0
