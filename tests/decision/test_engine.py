from __future__ import annotations

import yaml

from router_extproc.decision import DecisionEngine
from router_extproc.decision.rules import evaluate_rule
from router_extproc.policy import parse_policy
from router_extproc.policy.spec import Rule
from router_extproc.signals import SignalResult


def _results(*matched: str) -> dict[str, SignalResult]:
    return {ref: SignalResult(ref, True, 1.0) for ref in matched}


def test_rule_operators() -> None:
    rule = Rule.model_validate(
        {"any": [{"all": [{"signal": "keyword:a"}, {"not": {"signal": "keyword:b"}}]}, {"signal": "keyword:c"}]}
    )
    assert evaluate_rule(rule, _results("keyword:a"))
    assert not evaluate_rule(rule, _results("keyword:a", "keyword:b"))
    assert evaluate_rule(rule, _results("keyword:a", "keyword:b", "keyword:c"))
    assert not evaluate_rule(rule, _results())
    assert rule.signal_refs() == {"keyword:a", "keyword:b", "keyword:c"}


def test_missing_result_is_false() -> None:
    assert not evaluate_rule(Rule(signal="keyword:x"), {})
    unmatched = {"keyword:x": SignalResult("keyword:x", False)}
    assert evaluate_rule(Rule.model_validate({"not": {"signal": "keyword:x"}}), unmatched)


def test_priority_then_file_order_then_default() -> None:
    models = {
        n: {"provider_model_id": n, "cost": {"input_per_1m": 0, "output_per_1m": 0}, "privacy": "local"}
        for n in ("a", "b", "c", "d")
    }
    policy = parse_policy(
        yaml.safe_dump(
            {
                "name": "t",
                "default_model": "d",
                "models": models,
                "signals": {"keyword": [{"name": "x", "any": ["x"]}, {"name": "y", "any": ["y"]}]},
                "decisions": [
                    {"name": "low", "priority": 1, "when": {"signal": "keyword:x"}, "model": "a"},
                    {"name": "first-high", "priority": 5, "when": {"signal": "keyword:y"}, "model": "b"},
                    {"name": "second-high", "priority": 5, "when": {"signal": "keyword:x"}, "model": "c"},
                ],
            }
        )
    )
    engine = DecisionEngine(policy)
    assert engine.choose(_results("keyword:x")).decision == "second-high"
    assert engine.choose(_results("keyword:x", "keyword:y")).decision == "first-high"
    default = engine.choose(_results())
    assert (default.decision, default.model, default.reason) == ("default", "d", "default")


def _gate_policy(mode: str = "enforce", action: dict | None = None) -> dict:
    models = {
        "small": {"provider_model_id": "s", "privacy": "local", "cost": {"input_per_1m": 0, "output_per_1m": 0}},
        "guarded": {"provider_model_id": "g", "privacy": "local", "cost": {"input_per_1m": 0, "output_per_1m": 0}},
        "big": {"provider_model_id": "b", "privacy": "external", "cost": {"input_per_1m": 1, "output_per_1m": 1}},
    }
    gate = {"name": "jailbreak", "priority": 100, "when": {"signal": "keyword:attack"}, "mode": mode}
    gate |= action or {"block": {"status": 403, "code": "prompt_injection_detected"}}
    return {"name": "g", "default_model": "small", "models": models,
            "signals": {"keyword": [{"name": "attack", "any": ["attack"]}, {"name": "hard", "any": ["hard"]}]},
            "decisions": [gate, {"name": "hard", "priority": 10, "when": {"signal": "keyword:hard"}, "model": "big"}]}


def test_shadow_decisions_are_reported_never_applied() -> None:
    engine = DecisionEngine(parse_policy(yaml.safe_dump(_gate_policy("shadow"))))
    choice = engine.choose(_results("keyword:attack", "keyword:hard"))
    assert (choice.decision, choice.model, choice.block) == ("hard", "big", None)
    assert choice.shadowed == ("jailbreak",)
    default = engine.choose(_results("keyword:attack"))
    assert default.decision == "default" and default.shadowed == ("jailbreak",)
    assert engine.choose(_results("keyword:hard")).shadowed == ()


def test_enforced_gate_blocks_and_applies_to_named_models_too() -> None:
    engine = DecisionEngine(parse_policy(yaml.safe_dump(_gate_policy())))
    assert engine.choose(_results("keyword:attack")).block is not None
    named = engine.choose_explicit("big", _results("keyword:attack", "keyword:hard"))
    assert named.block is not None and named.decision == "jailbreak"
    # routing decisions do not override a named model
    plain = engine.choose_explicit("small", _results("keyword:hard"))
    assert (plain.decision, plain.model, plain.reason) == ("explicit", "small", "explicit")


def test_a_gate_that_routes_sends_to_its_model_and_privacy_closure_still_applies() -> None:
    from router_extproc.routing.router import Router
    from router_extproc.signals import default_artifacts
    from router_extproc.signals.engine import PRIVACY_PII

    data = _gate_policy(action={"model": "big", "gate": True})  # a guarded external model instead of a 403
    data["privacy"] = {"private_headers": {"x-tenant-tier": ["private"]}}
    router = Router(parse_policy(yaml.safe_dump(data)), artifacts=default_artifacts())
    clean = _results("keyword:attack") | {PRIVACY_PII: SignalResult(PRIVACY_PII, False, 0.0)}
    assert router.decide("auto", clean, {}).choice.model == "big"
    assert router.decide("small", clean, {}).choice.model == "big"  # the gate overrides a named model
    private = router.decide("auto", clean, {"x-tenant-tier": "private"}).choice
    assert (private.decision, private.model, private.reason) == ("jailbreak", "small", "privacy")
