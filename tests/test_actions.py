from __future__ import annotations

import json

import yaml

from router_extproc.actions import redact, route_headers, set_reasoning, upstream_body, with_system_prompt
from router_extproc.decision.strategies import select_model
from router_extproc.openai_request import parse_request
from router_extproc.policy import parse_policy
from router_extproc.policy.models import Reasoning, SystemPrompt
from router_extproc.router import Router
from router_extproc.signals import SignalResult, default_models
from tests.policy.test_loader import MINIMAL


def test_redaction_with_typed_placeholders_in_strings_and_parts() -> None:
    body = {"messages": [
        {"role": "user", "content": "mail a.b@example.org, card 4111 1111 1111 1111"},
        {"role": "user", "content": [{"type": "text", "text": "call +1 (555) 123-4567"}, {"type": "image_url"}]},
    ], "model": "x"}
    out = redact(body, frozenset({"EMAIL", "PHONE"}))
    assert out["messages"][0]["content"] == "mail [EMAIL], card 4111 1111 1111 1111"
    assert out["messages"][1]["content"][0]["text"] == "call [PHONE]"
    assert body["messages"][0]["content"].startswith("mail a.b@")  # the original is untouched
    assert redact({"prompt": ["x@y.io"]}, frozenset({"EMAIL"}))["prompt"] == ["[EMAIL]"]


def test_system_prompt_prepend_and_replace() -> None:
    messages = [{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}]
    assert [m["content"] for m in with_system_prompt(messages, SystemPrompt(mode="prepend", text="new"))] == ["new", "old", "hi"]
    assert [m["content"] for m in with_system_prompt(messages, SystemPrompt(mode="replace", text="new"))] == ["new", "hi"]


def test_reasoning_per_family_keeps_client_setting_unless_overridden() -> None:
    policy = parse_policy(yaml.safe_dump(MINIMAL | {"models": {
        "small": MINIMAL["models"]["small"] | {"reasoning_family": "qwen3"},
        "big": MINIMAL["models"]["big"] | {"reasoning_family": "openai"},
        "ds": MINIMAL["models"]["small"] | {"provider_model_id": "ds", "reasoning_family": "deepseek"},
        "plain": MINIMAL["models"]["small"] | {"provider_model_id": "plain"},
    }}))
    body = {"chat_template_kwargs": {"enable_thinking": False}}
    set_reasoning(body, policy.models["small"], Reasoning(enabled=True))
    assert body["chat_template_kwargs"]["enable_thinking"] is False
    set_reasoning(body, policy.models["small"], Reasoning(enabled=True, override_client=True))
    assert body["chat_template_kwargs"]["enable_thinking"] is True
    body = {}
    set_reasoning(body, policy.models["ds"], Reasoning(enabled=False))
    assert body == {"chat_template_kwargs": {"thinking": False}}
    body = {}
    set_reasoning(body, policy.models["big"], Reasoning(enabled=True, effort="high"))
    assert body == {"reasoning_effort": "high"}
    body = {}
    set_reasoning(body, policy.models["plain"], Reasoning(enabled=True))
    assert body == {}  # a model without a declared family is left alone


def _policy(decision: dict, models: dict | None = None):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    if models:
        data["models"] = models
    data["signals"]["difficulty"] = {}
    data["signals"]["domain"] = {}
    data["decisions"] = [{"name": "d", "when": {"signal": "keyword:code"}} | decision]
    return parse_policy(yaml.safe_dump(data))


def _spec(price: float, quality: dict, outcome: str | None = None) -> dict:
    spec = {"provider_model_id": f"p{price}", "privacy": "local", "cost": {"input_per_1m": price, "output_per_1m": price},
            "quality": quality}
    return spec | ({"outcome_model": outcome} if outcome else {})


def test_strong_weak_strategy() -> None:
    policy = _policy({"models": ["small", "big"], "strategy": "strong_weak", "difficulty_threshold": 0.2})
    decision = policy.decisions[0]
    easy = {"difficulty": SignalResult("difficulty", False, 0.1)}
    hard = {"difficulty": SignalResult("difficulty", True, 0.3)}
    assert select_model(decision, policy, easy) == "small"
    assert select_model(decision, policy, hard) == "big"
    assert select_model(decision, policy, {}) == "big"  # no difficulty: fail to strong


def test_cheapest_capable_strategy() -> None:
    models = {"cheap": _spec(0.1, {"math": 0.4, "default": 0.7}), "mid": _spec(1, {"default": 0.75, "math": 0.65}),
              "top": _spec(5, {"default": 0.9}, outcome="M-top")}
    policy = _policy({"models": ["top", "mid", "cheap"], "strategy": "cheapest_capable", "quality_threshold": 0.6},
                     models | {"small": models["cheap"] | {"provider_model_id": "s"}})
    decision = policy.decisions[0]
    math = {"domain": SignalResult("domain", True, 0.9, 0.9, frozenset({"math"}))}
    history = {"domain": SignalResult("domain", True, 0.9, 0.9, frozenset({"history"}))}
    assert select_model(decision, policy, history) == "cheap"
    assert select_model(decision, policy, math) == "mid"
    strict = decision.model_copy(update={"quality_threshold": 0.95})
    # strong neighbour evidence (10 units of weight, all correct) lifts "mid" over the bar for this prompt
    memory = {"difficulty": SignalResult("difficulty", True, 0.1, 1.0, frozenset(), {"neighbours": {"M-mid": (10.0, 10.0, 0.5)}})}
    lifted = decision.model_copy(update={"quality_threshold": 0.9})
    mid_with_memory = policy.models["mid"].model_copy(update={"outcome_model": "M-mid"})
    policy_mem = policy.model_copy(update={"models": policy.models | {"mid": mid_with_memory}})
    assert select_model(lifted, policy_mem, math | memory) == "mid"
    assert select_model(lifted, policy, math) == "top"
    assert select_model(strict, policy, math) == "top"  # nobody clears: the best predicted


def test_upstream_body_and_headers_from_a_decision() -> None:
    policy = _policy({"model": "big", "actions": {"headers": {"x-team": "a"}, "redact_pii": True,
                                                  "system_prompt": {"text": "be nice"}}})
    router = Router(policy, models=default_models())
    raw = json.dumps({"model": "auto", "messages": [{"role": "user", "content": "python help, I am x@y.io"}]}).encode()
    request = parse_request("chat", raw)
    outcome = router.route(request)
    body = upstream_body(request, outcome)
    assert body["model"] == "b"
    assert body["messages"] == [{"role": "system", "content": "be nice"},
                                {"role": "user", "content": "python help, I am [EMAIL]"}]
    headers = route_headers(outcome, 10)
    assert headers == {"x-team": "a", "x-selected-model": "big", "content-length": "10"}
    # redacted PII no longer makes the request private: it may go to the external model
    assert outcome.choice.model == "big" and outcome.choice.reason == "rule"


def test_incomplete_redaction_fails_closed(monkeypatch) -> None:
    import pytest

    from router_extproc import actions

    policy = _policy({"model": "big", "actions": {"redact_pii": True}})
    router = Router(policy, models=default_models())
    request = parse_request("chat", json.dumps({"model": "auto", "messages": [
        {"role": "user", "content": "python: mail x@y.io"}]}).encode())
    outcome = router.route(request)
    assert policy.models[outcome.choice.model].privacy == "external"
    monkeypatch.setattr(actions, "redact", lambda body, types: body)  # a redaction that misses
    with pytest.raises(actions.RedactionIncomplete):
        upstream_body(request, outcome)
