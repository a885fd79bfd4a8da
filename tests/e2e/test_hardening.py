"""What the hardened Envoy config and router do with paths, malformed HTTP, encodings and
client headers, through the real Envoy: each behaviour the reliability suite counts, shown once."""

from __future__ import annotations

import json
import time

import pytest

from bench.reliability.client import openai_shaped, raw_request, request
from tests.e2e.test_operations import decision_lines, wait_for_line
from tests.helpers import chat

pytestmark = pytest.mark.e2e

BODY = json.dumps(chat("hello")).encode()


@pytest.mark.parametrize("path", ["/chat/completions", "/v1/chat/completions/", "/v1/chat%2Fcompletions",
                                  "/v1/%63hat/completions", "//v1//chat/completions", "/v1/x/../chat/completions"])
def test_path_spellings_are_routed_and_reach_the_model_canonical(stack, path: str) -> None:
    answer = request(stack.listener_port, "POST", path + "?trace=1", BODY)
    assert answer.status == 200 and answer.headers["x-router-decision"] == "chit-chat"
    assert json.loads(answer.body)["received"]["path"] == "/v1/chat/completions?trace=1"


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("POST", "/v1/embeddings", 404, "unknown_url"),
    ("POST", "/v1/chat/completions;x", 404, "unknown_url"),
    ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
])
def test_paths_not_served_are_refused_by_envoy_without_a_model(stack, method, path, status, code) -> None:
    seen = sum(b.seen for b in stack.backends.values())
    answer = request(stack.listener_port, method, path, BODY if method == "POST" else None)
    assert answer.status == status and openai_shaped(answer)
    assert json.loads(answer.body)["error"]["code"] == code
    assert sum(b.seen for b in stack.backends.values()) == seen


def test_models_list_passes_through_to_the_default_model(stack) -> None:
    answer = request(stack.listener_port, "GET", "/models")
    assert answer.status == 200 and answer.headers["x-backend"] == stack.policy.default_model
    assert "auto" in {m["id"] for m in json.loads(answer.body)["data"]}


def test_malformed_http_gets_envoys_openai_shaped_reply_not_a_router_error(stack) -> None:
    before = stack.router.metrics()
    bad_chunk = b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\nZZZ\r\nabc\r\n"
    huge_header = b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nx-big: " + b"a" * 70_000 + b"\r\n\r\n"
    for data, status in ((bad_chunk, 400), (huge_header, 431), (b"GARBAGE\r\n\r\n", 400)):
        answer = raw_request(stack.listener_port, data)
        assert answer.status == status and openai_shaped(answer)
    time.sleep(0.2)
    errors = [line for line in stack.router.metrics().splitlines()
              if line.startswith("router_ext_proc_stream_errors_total")]
    assert errors == [line for line in before.splitlines() if line.startswith("router_ext_proc_stream_errors_total")]


def test_a_compressed_body_is_refused(stack) -> None:
    answer = request(stack.listener_port, "POST", "/v1/chat/completions", BODY, {"content-encoding": "gzip"})
    assert answer.status == 415 and json.loads(answer.body)["error"]["code"] == "unsupported_content_encoding"


def test_client_envoy_headers_are_ignored(stack) -> None:
    answer = request(stack.listener_port, "POST", "/v1/chat/completions", BODY,
                     {"x-envoy-upstream-rq-timeout-ms": "1", "x-envoy-original-path": "/v1/embeddings"})
    assert answer.status == 200
    received = stack.backends["small"].requests[-1]["headers"]
    assert received.get("x-envoy-original-path") != "/v1/embeddings"


def test_request_ids_are_bounded_in_the_decision_log(stack) -> None:
    for request_id in ("A" * 5000, "plain-id-123"):
        request(stack.listener_port, "POST", "/v1/chat/completions", BODY, {"x-request-id": request_id})
    for request_id in ("plain-id-123", "invalid"):  # records are written at stream end, by a background thread
        wait_for_line(stack, request_id, timeout=10)
    ids = [line["request_id"] for line in decision_lines(stack)]
    assert "plain-id-123" in ids and "invalid" in ids and not any(len(i) > 128 for i in ids)

