"""Privacy closure has no side doors: a PII value planted in any string of a body of any endpoint
(any field, any part, a key, split across two strings, obfuscated) never reaches the external
model; neither do token-id prompts or files the scan cannot read; ambiguous tier headers are
private. Property-based, through the real parsing, PII scan and decision code."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router_extproc.endpoints import parse_body, serialize, spec
from router_extproc.errors import RequestError
from router_extproc.policy import parse_policy
from router_extproc.routing.actions import upstream_body
from router_extproc.routing.router import Router
from router_extproc.signals import default_artifacts

POLICY = parse_policy(yaml.safe_dump({
    "name": "closure", "default_model": "local",
    "models": {"local": {"provider_model_id": "l", "privacy": "local", "cost": {"input_per_1m": 0, "output_per_1m": 0},
                         "capabilities": ["chat", "completions", "tools", "vision", "files"], "context_window": 400000},
               "frontier": {"provider_model_id": "f", "privacy": "external",
                            "cost": {"input_per_1m": 1, "output_per_1m": 1},
                            "capabilities": ["chat", "completions", "tools", "vision", "files"],
                            "context_window": 400000}},
    "signals": {"pii": {"types": ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET", "ADDRESS"]}},
    "privacy": {"private_headers": {"x-tenant-tier": ["private"]}},
    "decisions": [{"name": "everything-external", "when": {"not": {"signal": "pii"}}, "model": "frontier"}],
}))
ROUTER = Router(POLICY, artifacts=default_artifacts())

VALUES = ["jane.doe@corp-mail.com", "4111 1111 1111 1111", "+1 (415) 555-0132", "536-22-1234",
          "DE89 3704 0044 0532 0130 00", "192.168.14.201", "sk-proj-3fa8Xk29LmQv7TzR1bN0cW5yH6uJ4eD2sA"]


def obfuscations(value: str) -> list[str]:
    digits_spaced = " ".join(value)
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    zero_width = "\u200b".join(value)
    encoded = base64.b64encode(f"contact: {value}".encode()).decode()
    return [value, digits_spaced, full_width, zero_width, encoded]


BASES: dict[str, dict[str, Any]] = {
    "chat": {"model": "auto", "user": "u-alpha", "metadata": {"team": "search"},
             "tools": [{"type": "function", "function": {"name": "lookup", "description": "Look things up.",
                                                         "parameters": {"type": "object", "properties": {
                                                             "q": {"type": "string", "description": "query"}}}}}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}},
             "messages": [{"role": "system", "content": "Be brief."},
                          {"role": "user", "content": [{"type": "text", "text": "Please help with my account."}]},
                          {"role": "assistant", "content": None, "refusal": None, "tool_calls": [
                              {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}}]},
                          {"role": "tool", "tool_call_id": "c1", "name": "lookup", "content": "no results"},
                          {"role": "user", "content": "What now?"}]},
    "completions": {"model": "auto", "prompt": "Write a haiku about the sea.", "suffix": " The end.", "user": "u-alpha"},
    "responses": {"model": "auto", "instructions": "Be brief.", "metadata": {"team": "search"},
                  "input": [{"role": "user", "content": [{"type": "input_text", "text": "Please help with my account."}]},
                            {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{\"q\": \"x\"}"},
                            {"type": "function_call_output", "call_id": "c1", "output": "no results"},
                            {"role": "user", "content": "What now?"}]},
    "messages": {"model": "auto", "max_tokens": 256, "system": "Be brief.", "metadata": {"user_id": "u-alpha"},
                 "tools": [{"name": "lookup", "description": "Look things up.", "input_schema": {"type": "object"}}],
                 "messages": [{"role": "user", "content": [{"type": "text", "text": "Please help with my account."}]},
                              {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup",
                                                                 "input": {"q": "x"}}]},
                              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                                            "content": "no results"},
                                                           {"type": "text", "text": "What now?"}]}]},
}


def string_slots(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every string value in a body (``model`` excepted) where a value can be planted."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() if path or k != "model" for p in string_slots(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in string_slots(v, (*path, i))]
    return []


def put(body: dict, path: tuple, text: str) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text


def external_got(body: dict, endpoint: str, headers: dict[str, str] | None = None) -> bytes | None:
    """The bytes the external model would receive, or None (refused, or routed locally)."""
    try:
        request = parse_body(endpoint, json.loads(json.dumps(body)))
        outcome = ROUTER.route(request, headers or {})
    except RequestError:
        return None
    if outcome.model.privacy == "local":
        return None
    return serialize(upstream_body(spec(endpoint), request, outcome))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pii_anywhere_in_any_endpoint_never_reaches_the_external_model(data) -> None:
    endpoint = data.draw(st.sampled_from(sorted(BASES)))
    body = copy.deepcopy(BASES[endpoint])
    assert external_got(body, endpoint) is not None  # without PII, these bodies do go external
    value = data.draw(st.sampled_from(VALUES))
    planted = data.draw(st.sampled_from(obfuscations(value)))
    slots = string_slots(body)
    how = data.draw(st.sampled_from(["replace", "append", "key", "split", "new-field"]))
    if how == "split" and len(slots) > 1:  # the value's halves as two consecutive strings (two messages, two fields)
        first = data.draw(st.integers(0, len(slots) - 2))
        cut = data.draw(st.integers(1, len(planted) - 1))
        put(body, slots[first], planted[:cut])
        put(body, slots[first + 1], planted[cut:])
    elif how == "key":
        body.setdefault("metadata", {})[planted] = "x"
    elif how == "new-field":
        body["x_unknown_field"] = {"note": [f"see {planted}"]}
    else:
        slot = data.draw(st.sampled_from(slots))
        put(body, slot, planted if how == "replace" else _get(body, slot) + f" ({planted})")
    sent = external_got(body, endpoint)
    assert sent is None, f"{endpoint}/{how}: {planted!r} reached the external model"


def _get(body: Any, path: tuple) -> Any:
    for key in path:
        body = body[key]
    return body


def test_unreadable_payloads_stay_local() -> None:
    tokens = {"model": "auto", "prompt": [101, 2023, 2003, 102]}
    assert external_got(tokens, "completions") is None
    pdf = copy.deepcopy(BASES["chat"])
    pdf["messages"][1]["content"].append({"type": "file", "file": {"filename": "scan.pdf",
                                                                    "file_data": "data:application/pdf;base64,JVBERi0x"}})
    assert external_got(pdf, "chat") is None
    image = copy.deepcopy(BASES["chat"])  # an image is media, not an unreadable text: it may go to a vision model
    image["messages"][1]["content"].append({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}})
    assert external_got(image, "chat") is not None


@pytest.mark.parametrize(("value", "private"), [
    ("private", True), ("PRIVATE ", True), ("public", False), ("Public", False), ("private, public", True),
    ("public,public", True), ("gold", True), ("", True),
])
def test_only_an_exact_public_tier_value_is_public(value: str, private: bool) -> None:
    got = external_got(copy.deepcopy(BASES["chat"]), "chat", {"x-tenant-tier": value})
    assert (got is None) == private
