from __future__ import annotations

import json

import yaml

from router_extproc.endpoints import parse_request, spec
from router_extproc.policy import parse_policy
from router_extproc.policy.spec import Reasoning, SystemPrompt
from router_extproc.routing.actions import redact, upstream_body
from router_extproc.routing.plan import route_headers
from router_extproc.routing.router import Router
from router_extproc.signals import default_artifacts
from tests.policy.test_loader import MINIMAL


def _policy(decision: dict):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["decisions"] = [{"name": "d", "when": {"signal": "keyword:code"}} | decision]
    return parse_policy(yaml.safe_dump(data))


def test_redaction_with_typed_placeholders_in_strings_and_parts() -> None:
    body = {"messages": [
        {"role": "user", "content": "mail a.b@example.org, card 4111 1111 1111 1111"},
        {"role": "user", "content": [{"type": "text", "text": "call +1 (555) 123-4567"}, {"type": "image_url"}]},
    ], "model": "x"}
    out = redact(spec("chat"), body, frozenset({"EMAIL", "PHONE"}))
    assert out["messages"][0]["content"] == "mail [EMAIL], card 4111 1111 1111 1111"
    assert out["messages"][1]["content"][0]["text"] == "call [PHONE]"
    assert body["messages"][0]["content"].startswith("mail a.b@")  # the original is untouched
    assert redact(spec("completions"), {"prompt": ["x@y.io"]}, frozenset({"EMAIL"}))["prompt"] == ["[EMAIL]"]
    # every string the model can read, not only message text: tool calls, names, user, metadata
    everywhere = {"model": "x", "user": "a.b@example.org", "metadata": {"contact": "a.b@example.org"},
                  "messages": [{"role": "assistant", "tool_calls": [{"id": "1", "type": "function", "function": {
                      "name": "send", "arguments": '{"to": "a.b@example.org"}'}}]}]}
    out = redact(spec("chat"), everywhere, frozenset({"EMAIL"}))
    assert "a.b@example.org" not in json.dumps(out) and out["model"] == "x"


def test_system_prompt_prepend_and_replace() -> None:
    chat = spec("chat")
    for mode, expected in (("prepend", ["new", "old", "hi"]), ("replace", ["new", "hi"])):
        body = {"messages": [{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}]}
        chat.add_system_prompt(body, SystemPrompt(mode=mode, text="new"))
        assert [m["content"] for m in body["messages"]] == expected


def test_reasoning_per_family_keeps_client_setting_unless_overridden() -> None:
    policy = parse_policy(yaml.safe_dump(MINIMAL | {"models": {
        "small": MINIMAL["models"]["small"] | {"reasoning_family": "qwen3"},
        "big": MINIMAL["models"]["big"] | {"reasoning_family": "openai"},
        "ds": MINIMAL["models"]["small"] | {"provider_model_id": "ds", "reasoning_family": "deepseek"},
        "plain": MINIMAL["models"]["small"] | {"provider_model_id": "plain"},
    }}))
    body = {"chat_template_kwargs": {"enable_thinking": False}}
    spec("chat").set_reasoning(body, policy.models["small"], Reasoning(enabled=True))
    assert body["chat_template_kwargs"]["enable_thinking"] is False
    spec("chat").set_reasoning(body, policy.models["small"], Reasoning(enabled=True, override_client=True))
    assert body["chat_template_kwargs"]["enable_thinking"] is True
    body = {}
    spec("chat").set_reasoning(body, policy.models["ds"], Reasoning(enabled=False))
    assert body == {"chat_template_kwargs": {"thinking": False}}
    body = {}
    spec("chat").set_reasoning(body, policy.models["big"], Reasoning(enabled=True, effort="high"))
    assert body == {"reasoning_effort": "high"}
    body = {}
    spec("chat").set_reasoning(body, policy.models["plain"], Reasoning(enabled=True))
    assert body == {}  # a model without a declared family is left alone


def test_upstream_body_and_headers_from_a_decision() -> None:
    policy = _policy({"model": "big", "actions": {"headers": {"x-team": "a"}, "redact_pii": True,
                                                  "system_prompt": {"text": "be nice"}}})
    router = Router(policy, artifacts=default_artifacts())
    raw = json.dumps({"model": "auto", "messages": [{"role": "user", "content": "python help, I am x@y.io"}]}).encode()
    request = parse_request("chat", raw)
    outcome = router.route(request)
    body = upstream_body(spec("chat"), request, outcome)
    assert body["model"] == "b"
    assert body["messages"] == [{"role": "system", "content": "be nice"},
                                {"role": "user", "content": "python help, I am [EMAIL]"}]
    headers = route_headers(outcome, 10)
    assert headers == {"x-team": "a", "x-selected-model": "big", "content-length": "10"}
    # redacted PII no longer makes the request private: it may go to the external model
    assert outcome.choice.model == "big" and outcome.choice.reason == "rule"


def test_incomplete_redaction_fails_closed(monkeypatch) -> None:
    import pytest

    from router_extproc.routing import actions

    policy = _policy({"model": "big", "actions": {"redact_pii": True}})
    router = Router(policy, artifacts=default_artifacts())
    request = parse_request("chat", json.dumps({"model": "auto", "messages": [
        {"role": "user", "content": "python: mail x@y.io"}]}).encode())
    outcome = router.route(request)
    assert policy.models[outcome.choice.model].privacy == "external"
    monkeypatch.setattr(actions, "redact", lambda spec, body, types: body)  # a redaction that misses
    with pytest.raises(actions.RedactionIncomplete):
        upstream_body(spec("chat"), request, outcome)
