"""The cache through the ext_proc adapter over a real in-process gRPC stream (memory store):
a miss stored at the end of its answer, a hit answered immediately in the stored framing at
zero cost, a truncated or failed answer never stored, x-router-cache on every answer."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
import yaml

from router_extproc.demo import answers
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.policy import parse_policy
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings
from router_extproc.server.state import RouterState
from router_extproc.telemetry import RouterMetrics, Telemetry
from tests.conftest import DEFAULT_POLICY
from tests.helpers import exchange, header_map, request_body_msg, request_headers_msg, set_headers

KEY = {"authorization": "Bearer unit"}
USAGE = {"prompt_tokens": 3, "completion_tokens": 2}


@pytest.fixture
async def served():
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["cache"] = {}
    router = Router(parse_policy(yaml.safe_dump(document), "cache"))
    metrics = RouterMetrics()
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(router), Telemetry(metrics))
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}")
    yield pb_grpc.ExternalProcessorStub(channel), metrics
    await channel.close()
    await server.stop()


def body(text: str, **extra) -> dict:
    return {"model": "auto", "temperature": 0, "messages": [{"role": "user", "content": text}], **extra}


def response_headers(status: str, content_type: str) -> pb.ProcessingRequest:
    values = {":status": status, "content-type": content_type}
    return pb.ProcessingRequest(response_headers=pb.HttpHeaders(headers=header_map(values)))


def response_body(data: bytes, end: bool) -> pb.ProcessingRequest:
    return pb.ProcessingRequest(response_body=pb.HttpBody(body=data, end_of_stream=end))


async def upstream(stub, request: dict, status: str, content_type: str, chunks: list[bytes]) -> list[pb.ProcessingResponse]:
    messages = [request_headers_msg(**KEY), request_body_msg(request), response_headers(status, content_type)]
    messages += [response_body(c, i == len(chunks) - 1) for i, c in enumerate(chunks)]
    replies = await exchange(stub, *messages)
    await asyncio.sleep(0.01)
    return replies


async def first_reply(stub, request: dict) -> pb.ProcessingResponse:
    replies = await exchange(stub, request_headers_msg(**KEY), request_body_msg(request))
    await asyncio.sleep(0.01)
    return replies[1]


def sse(events: list) -> list[bytes]:
    return [(f"event: {n}\n" if n else "").encode() + b"data: " + (d if isinstance(d, str) else json.dumps(d)).encode()
            + b"\n\n" for n, d in events]


async def test_a_stored_json_answer_is_served_at_zero_cost(served) -> None:
    stub, metrics = served
    answer = json.dumps(answers.openai_json("chat", "m", "Paris.", USAGE, {}, None)).encode()
    replies = await upstream(stub, body("capital of France?"), "200", "application/json", [answer])
    assert set_headers(replies[2].response_headers.response.header_mutation)["x-router-cache"] == "miss"
    hit = await first_reply(stub, body("capital of France?"))
    assert hit.WhichOneof("response") == "immediate_response"
    immediate = hit.immediate_response
    headers = set_headers(immediate.headers)
    assert immediate.body == answer and headers["x-router-cache"] == "hit" and headers["x-router-decision"] == "cache"
    assert headers["content-type"] == "application/json"
    sample = metrics.registry.get_sample_value
    assert sample("router_cache_requests_total", {"result": "hit", "reason": "exact"}) == 1
    assert sample("router_cache_requests_total", {"result": "miss", "reason": ""}) == 1


async def test_a_stream_is_replayed_in_its_framing(served) -> None:
    stub, _ = served
    events = sse(answers.messages_events("m", "hi there", USAGE, {}))
    request = {"model": "auto", "temperature": 0, "max_tokens": 8, "stream": True,
               "messages": [{"role": "user", "content": "say hi"}]}
    messages = [request_headers_msg(path="/v1/messages", **KEY), request_body_msg(request),
                response_headers("200", "text/event-stream")]
    messages += [response_body(e, False) for e in events] + [response_body(b"", True)]
    await exchange(stub, *messages)
    await asyncio.sleep(0.01)
    replies = await exchange(stub, request_headers_msg(path="/v1/messages", **KEY), request_body_msg(request))
    immediate = replies[1].immediate_response
    assert immediate.body == b"".join(events)
    assert set_headers(immediate.headers)["content-type"] == "text/event-stream"


@pytest.mark.parametrize(("status", "finish"), [("500", "stop"), ("200", "length")])
async def test_errors_and_truncated_answers_are_not_stored(served, status: str, finish: str) -> None:
    stub, _ = served
    document = answers.openai_json("chat", "m", "Par", USAGE, {}, None)
    document["choices"][0]["finish_reason"] = finish
    text = f"capital of Spain? {status}"
    await upstream(stub, body(text), status, "application/json", [json.dumps(document).encode()])
    again = await first_reply(stub, body(text))
    assert again.WhichOneof("response") == "request_body"


async def test_an_unfinished_stream_is_not_stored(served) -> None:
    stub, _ = served
    events = sse(answers.openai_events({"model": "m"}, "hi", USAGE, {}))
    request = body("count to three", stream=True)
    messages = [request_headers_msg(**KEY), request_body_msg(request), response_headers("200", "text/event-stream")]
    messages += [response_body(e, False) for e in events[:-1]]  # the stream breaks off before [DONE]
    await exchange(stub, *messages)
    await asyncio.sleep(0.01)
    again = await first_reply(stub, request)
    assert again.WhichOneof("response") == "request_body"


async def test_uncacheable_requests_say_bypass(served) -> None:
    stub, _ = served
    answer = json.dumps(answers.openai_json("chat", "m", "hi", USAGE, {}, None)).encode()
    replies = await upstream(stub, body("hello", temperature=1), "200", "application/json", [answer])
    assert set_headers(replies[2].response_headers.response.header_mutation)["x-router-cache"] == "bypass"
