"""The servicer driven by real ProcessingRequest messages over an in-process gRPC stream:
these messages in, these messages out."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from router_extproc.extproc.responses import ProcessingMode
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.routing import plan
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings
from router_extproc.server.state import RouterState
from router_extproc.telemetry import RouterMetrics, Telemetry
from router_extproc.telemetry.throttle import Throttle
from tests.helpers import (
    chat,
    exchange,
    request_body_msg,
    request_headers_msg,
    response_headers_msg,
    set_headers,
)


@pytest.fixture
async def stub(default_router: Router):
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(default_router))
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}")
    yield pb_grpc.ExternalProcessorStub(channel)
    await channel.close()
    await server.stop()


async def test_auto_request_is_routed_with_body_rewrite(stub) -> None:
    headers, body, response = await exchange(
        stub,
        request_headers_msg(),
        request_body_msg(chat("please fix this python function", temperature=0.2)),
        response_headers_msg(),
    )
    assert headers.WhichOneof("response") == "request_headers"
    assert not headers.request_headers.response.HasField("header_mutation")
    # the body, then the response headers: asked for here, so a local reply Envoy sends before
    # this answer (a malformed body) never waits on the router
    assert headers.mode_override.request_body_mode == ProcessingMode.BUFFERED
    assert headers.mode_override.response_header_mode == ProcessingMode.SEND
    common = body.request_body.response
    assert common.clear_route_cache is True
    mutated = set_headers(common.header_mutation)
    new_body = json.loads(common.body_mutation.body)
    assert mutated["x-selected-model"] == "large"
    assert mutated["content-length"] == str(len(common.body_mutation.body))
    assert new_body["model"] == "qwen3-235b-a22b"
    assert new_body["temperature"] == 0.2
    explained = set_headers(response.response_headers.response.header_mutation)
    assert {k: explained[k] for k in ("x-router-decision", "x-router-model", "x-router-reason")} == {
        "x-router-decision": "code",
        "x-router-model": "large",
        "x-router-reason": "rule",
    }
    assert "keyword:code=1" in explained["x-router-signals"]
    assert "please fix" not in explained["x-router-signals"]  # never prompt text
    assert explained["x-router-policy"] == "1"


async def test_explicit_model_and_provider_id_pass_through(stub) -> None:
    for requested in ("frontier", "gpt-5"):
        _, body = await exchange(stub, request_headers_msg(), request_body_msg(chat("hi", model=requested)))
        common = body.request_body.response
        assert set_headers(common.header_mutation)["x-selected-model"] == "frontier"
        assert json.loads(common.body_mutation.body)["model"] == "gpt-5"


async def test_get_is_answered_at_headers_and_switched_to_pass_through(stub) -> None:
    (reply,) = await exchange(stub, request_headers_msg("GET", "/v1/models", end_of_stream=True))
    assert reply.WhichOneof("response") == "request_headers"
    assert reply.mode_override.request_body_mode == ProcessingMode.NONE
    assert reply.mode_override.response_header_mode == ProcessingMode.SKIP


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("POST", "/v1/embeddings", 404, "unknown_url"), ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
     ("POST", "/v1/chat%2Fcompletions", 404, "unknown_url")],
)
async def test_paths_it_does_not_serve_are_refused(stub, method: str, path: str, status: int, code: str) -> None:
    """Envoy's routes refuse these before the router; an older Envoy config must not let them through."""
    (reply,) = await exchange(stub, request_headers_msg(method, path))
    assert reply.immediate_response.status.code == status
    assert json.loads(reply.immediate_response.body)["error"]["code"] == code


async def test_aliases_are_routed(stub) -> None:
    for path in ("/chat/completions", "/v1/chat/completions/", "/v1/chat/completions?api-version=1"):
        _, body = await exchange(stub, request_headers_msg(path=path), request_body_msg(chat("hello")))
        assert set_headers(body.request_body.response.header_mutation)["x-selected-model"] == "small"


async def test_a_compressed_body_is_refused_not_forwarded_mislabelled(stub) -> None:
    (reply,) = await exchange(stub, request_headers_msg(**{"content-encoding": "gzip"}))
    assert reply.immediate_response.status.code == 415
    assert json.loads(reply.immediate_response.body)["error"]["code"] == "unsupported_content_encoding"


async def test_a_router_bug_fails_safe_with_one_line_per_request(default_router, monkeypatch, caplog) -> None:
    metrics = RouterMetrics()
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(default_router), Telemetry(metrics))
    await server.start()
    monkeypatch.setattr(Router, "route", lambda self, request, headers=None, deadline=None: 1 / 0)
    monkeypatch.setattr(plan, "_TRACEBACKS", Throttle(3600))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}") as channel:
            stub = pb_grpc.ExternalProcessorStub(channel)
            for _ in range(3):
                _, body = await exchange(stub, request_headers_msg(), request_body_msg(chat("hello")))
                assert set_headers(body.request_body.response.header_mutation)["x-selected-model"] == "small"
        await asyncio.sleep(0.05)
    finally:
        await server.stop()
    lines = [r for r in caplog.records if "routing failed" in r.getMessage()]
    assert len(lines) == 3 and all("ZeroDivisionError" in r.getMessage() for r in lines)
    assert [bool(r.exc_info) for r in lines] == [True, False, False]  # one traceback, then lines only
    assert metrics.registry.get_sample_value("router_fail_safe_total", {"error": "ZeroDivisionError"}) == 3


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{oops", 400, "invalid_json"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "\xff"}]}', 400, "invalid_encoding"),
        ({"model": "auto"}, 400, "missing_messages"),
        ({"model": "gpt-unknown", "messages": [{"role": "user", "content": "x"}]}, 404, "model_not_found"),
    ],
)
async def test_bad_bodies_get_openai_errors_and_the_stream_stays_usable(stub, body, status: int, code: str) -> None:
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(body))
    immediate = reply.immediate_response
    assert immediate.status.code == status
    assert json.loads(immediate.body)["error"]["code"] == code
    assert set_headers(immediate.headers)["content-type"] == "application/json"
    # the server is still healthy: a good request on a new stream routes
    _, ok = await exchange(stub, request_headers_msg(), request_body_msg(chat("hello")))
    assert set_headers(ok.request_body.response.header_mutation)["x-selected-model"] == "small"


async def test_streaming_client_gets_sse_framed_error(stub) -> None:
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(chat(model="nope", stream=True)))
    immediate = reply.immediate_response
    assert immediate.status.code == 404
    assert set_headers(immediate.headers)["content-type"] == "text/event-stream"
    assert immediate.body.startswith(b"data: {") and immediate.body.endswith(b"data: [DONE]\n\n")


async def test_too_large_by_content_length_is_refused_at_headers(stub, default_router: Router) -> None:
    limit = default_router.max_body_bytes
    (reply,) = await exchange(stub, request_headers_msg(**{"content-length": str(limit + 1)}))
    assert reply.immediate_response.status.code == 413
    assert json.loads(reply.immediate_response.body)["error"]["code"] == "request_too_large"


async def test_post_without_body_is_400(stub) -> None:
    (reply,) = await exchange(stub, request_headers_msg(end_of_stream=True))
    assert reply.immediate_response.status.code == 400


async def test_large_body_parsed_off_loop_is_routed(stub) -> None:
    big = chat("word " * 25_500)  # 25.5k tokens, within the gate's scan budget, decided in a worker thread
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(big))
    assert set_headers(reply.request_body.response.header_mutation)["x-selected-model"] == "frontier"


async def test_prompt_beyond_the_gates_scan_budget_follows_on_error(stub) -> None:
    big = chat("word " * 300_000)  # 1.5 MB: more than the jailbreak gate reads; the default policy blocks then
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(big))
    assert reply.immediate_response.status.code == 403
    assert "jailbreak=1:error" in set_headers(reply.immediate_response.headers)["x-router-signals"]


async def test_router_error_falls_back_to_default_model(stub, default_router: Router, monkeypatch) -> None:
    def explode(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(default_router, "route", explode)
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(chat("python")))
    assert set_headers(reply.request_body.response.header_mutation)["x-selected-model"] == "small"


async def test_observability_mode_gets_no_answer(default_router: Router) -> None:
    from router_extproc.extproc.routing_processor import RoutingProcessor

    message = request_headers_msg()
    message.observability_mode = True
    assert await RoutingProcessor(default_router).process(message) is None


async def test_router_error_keeps_the_body_valid_for_the_default_model(stub, default_router: Router, monkeypatch) -> None:
    monkeypatch.setattr(default_router, "route", lambda request, headers=None: 1 / 0)
    _, reply = await exchange(stub, request_headers_msg(), request_body_msg(chat("python")))
    common = reply.request_body.response
    assert set_headers(common.header_mutation)["x-selected-model"] == "small"
    assert json.loads(common.body_mutation.body)["model"] == "qwen3-8b"
    assert set_headers(common.header_mutation)["content-length"] == str(len(common.body_mutation.body))
