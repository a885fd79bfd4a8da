"""Privacy closure end to end through the real Envoy (policies/privacy.yaml): PII planted in a
sample of the places the property test covers never reaches the external model; ambiguous tier
headers are private. The demo backends record every request they get, so "never reaches" is
checked where it matters: at the external model's server."""

from __future__ import annotations

import base64
import pathlib

import pytest

from router_extproc.demo.stack import running_stack
from tests.helpers import http_request

pytestmark = pytest.mark.e2e

REPO = pathlib.Path(__file__).resolve().parents[2]
CHAT, RESPONSES, MESSAGES = "/v1/chat/completions", "/v1/responses", "/v1/messages"
EMAIL = "jane.doe@corp-mail.com"


def chat_body(**extra) -> dict:
    return {"model": "auto", "messages": [{"role": "user", "content": "Summarise our meeting notes."}], **extra}


PLACEMENTS = [
    ("tool-call arguments", CHAT, {"model": "auto", "messages": [
        {"role": "user", "content": "Send the notes."},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "send", "arguments": f'{{"to": "{EMAIL}"}}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sent"}, {"role": "user", "content": "Thanks, next?"}]}),
    ("user field", CHAT, chat_body(user=EMAIL)),
    ("metadata", CHAT, chat_body(metadata={"owner": EMAIL})),
    ("tool description", CHAT, chat_body(tools=[{"type": "function", "function": {
        "name": "notify", "description": f"Mails {EMAIL}", "parameters": {"type": "object"}}}])),
    ("spaced SSN", CHAT, chat_body(messages=[{"role": "user", "content": "my ssn is 5 3 6 - 2 2 - 1 2 3 4"}])),
    ("full-width e-mail", CHAT, chat_body(messages=[{"role": "user", "content": "mail ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ please"}])),
    ("base64", CHAT, chat_body(messages=[{"role": "user", "content": "Here is my contact card, base64: " +
                                           base64.b64encode(f"contact {EMAIL}".encode()).decode()}])),
    ("split across messages", CHAT, {"model": "auto", "messages": [
        {"role": "user", "content": "my card is 4111 1111"}, {"role": "assistant", "content": "go on"},
        {"role": "user", "content": "1111 1111, is it valid?"}]}),
    ("responses instructions", RESPONSES, {"model": "auto", "instructions": f"Reply to {EMAIL}.", "input": "hello"}),
    ("anthropic tool result", MESSAGES, {"model": "auto", "max_tokens": 100, "messages": [
        {"role": "user", "content": "look him up"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "crm", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "phone +1 (415) 555-0132"}]}]}),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(REPO / "policies" / "privacy.yaml", log_dir=tmp_path_factory.mktemp("privacy")) as running:
        yield running


def test_a_request_without_pii_does_go_to_the_external_model(stack) -> None:
    reply = http_request(stack.url + CHAT, body=chat_body())
    assert reply.status == 200 and reply.headers["x-backend"] == "frontier"


@pytest.mark.parametrize(("name", "path", "body"), PLACEMENTS, ids=[p[0] for p in PLACEMENTS])
def test_pii_in_any_place_never_reaches_the_external_model(stack, name: str, path: str, body: dict) -> None:
    before = stack.backends["frontier"].seen
    reply = http_request(stack.url + path, body=body)
    assert reply.status == 200, reply.body
    assert reply.headers["x-backend"] == "local", name
    assert stack.backends["frontier"].seen == before


@pytest.mark.parametrize("tier", ["private", "private, public", "gold"])
def test_ambiguous_tier_headers_are_private(stack, tier: str) -> None:
    reply = http_request(stack.url + CHAT, body=chat_body(), headers={"x-tenant-tier": tier})
    assert reply.status == 200 and reply.headers["x-backend"] == "local"


def test_a_repeated_tier_header_is_private(stack) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", stack.listener_port, timeout=10)
    try:
        conn.putrequest("POST", CHAT)
        for key, value in (("content-type", "application/json"), ("x-tenant-tier", "private"),
                           ("x-tenant-tier", "public")):
            conn.putheader(key, value)
        data = b'{"model": "auto", "messages": [{"role": "user", "content": "Summarise our meeting notes."}]}'
        conn.putheader("content-length", str(len(data)))
        conn.endheaders(data)
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 200 and reply.getheader("x-backend") == "local"
    finally:
        conn.close()
