from __future__ import annotations

import yaml

from router_extproc.decision import DecisionEngine
from router_extproc.decision.rules import evaluate_rule
from router_extproc.policy import parse_policy
from router_extproc.policy.models import Rule
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
