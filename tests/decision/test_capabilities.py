"""Capability closure: the chosen model must serve the request; the fallback order; the 400s."""

from __future__ import annotations

import pytest
import yaml

from router_extproc.decision.capabilities import enforce_capabilities, needs_of, unmet
from router_extproc.decision.engine import RouteChoice
from router_extproc.errors import RequestError
from router_extproc.policy import parse_policy


def _policy(**extra):
    def model(caps, window, privacy="local"):
        return {"provider_model_id": f"p{window}", "privacy": privacy, "capabilities": caps, "context_window": window,
                "cost": {"input_per_1m": window / 1e4, "output_per_1m": window / 1e4}}
    data = {"name": "c", "default_model": "text", "models": {
        "text": model(["chat"], 4096), "tools": model(["chat", "tools"], 8192),
        "eyes": model(["chat", "vision", "tools"], 131072, "external"), "big": model(["chat"], 65536)},
        "decisions": [{"name": "d", "when": {"not": {"signal": "keyword:x"}}, "models": ["text", "big"]}],
        "signals": {"keyword": [{"name": "x", "any": ["x"]}]}} | extra
    return parse_policy(yaml.safe_dump(data))


def test_needs_and_why_a_model_cannot_serve() -> None:
    policy = _policy()
    needs = needs_of("chat", {"image"}, True, 100, 50)
    assert needs.capabilities == {"chat", "vision", "tools"} and needs.tokens == 150
    assert unmet(policy.models["text"], needs) == "needs tools, vision"
    assert unmet(policy.models["eyes"], needs) is None
    assert "context" in unmet(policy.models["text"], needs_of("chat", (), False, 4000, 200))
    assert needs_of("completions", (), False, 1, None).capabilities == {"completions"}


def test_next_capable_candidate_in_order_decision_then_fallbacks_then_cheapest() -> None:
    policy = _policy(fallback_models=["eyes"])
    choice = RouteChoice("d", "text", "rule")
    assert enforce_capabilities(policy, choice, needs_of("chat", (), False, 10, None)) is choice
    long = enforce_capabilities(policy, choice, needs_of("chat", (), False, 10_000, None))
    assert (long.model, long.reason) == ("big", "capability")  # the decision's next candidate
    seeing = enforce_capabilities(policy, choice, needs_of("chat", {"image"}, False, 10, None))
    assert seeing.model == "eyes"  # from the policy's fallbacks
    tools = enforce_capabilities(_policy(), choice, needs_of("chat", (), True, 10, None))
    assert tools.model == "tools"  # then any model, cheapest first


def test_no_model_can_serve_is_a_400_naming_why() -> None:
    policy = _policy()
    choice = RouteChoice("d", "text", "rule")
    with pytest.raises(RequestError) as info:
        enforce_capabilities(policy, choice, needs_of("chat", {"audio"}, False, 10, None))
    assert (info.value.status, info.value.code) == (400, "unsupported_capability") and "audio" in info.value.message
    with pytest.raises(RequestError) as info:
        enforce_capabilities(policy, choice, needs_of("chat", (), False, 200_000, None))
    assert info.value.code == "context_length_exceeded" and "131072" in info.value.message
    with pytest.raises(RequestError) as info:  # privacy: only local models may serve it, none sees images
        enforce_capabilities(policy, choice, needs_of("chat", {"image"}, False, 10, None), local_only=True)
    assert "local model" in info.value.message
