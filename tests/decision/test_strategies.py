"""Selection strategies over a decision's candidates, and the typed strategy configs."""

from __future__ import annotations

import pytest
import yaml

from router_extproc.decision.strategies import select_model
from router_extproc.policy import parse_policy
from router_extproc.signals import SignalResult
from tests.policy.test_loader import MINIMAL


def with_quality(decision, value: float):
    return decision.model_copy(update={"strategy": decision.strategy.model_copy(update={"quality_threshold": value})})


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
    policy = _policy({"models": ["small", "big"], "strategy": {"type": "strong_weak", "threshold": 0.2}})
    decision = policy.decisions[0]
    easy = {"difficulty": SignalResult("difficulty", False, 0.1)}
    hard = {"difficulty": SignalResult("difficulty", True, 0.3)}
    assert select_model(decision, policy, easy) == "small"
    assert select_model(decision, policy, hard) == "big"
    assert select_model(decision, policy, {}) == "big"  # no difficulty: fail to strong


def test_cheapest_capable_strategy() -> None:
    models = {"cheap": _spec(0.1, {"math": 0.4, "default": 0.7}), "mid": _spec(1, {"default": 0.75, "math": 0.65}),
              "top": _spec(5, {"default": 0.9}, outcome="M-top")}
    policy = _policy({"models": ["top", "mid", "cheap"], "strategy": {"type": "cheapest_capable", "quality_threshold": 0.6}},
                     models | {"small": models["cheap"] | {"provider_model_id": "s"}})
    decision = policy.decisions[0]
    math = {"domain": SignalResult("domain", True, 0.9, 0.9, frozenset({"math"}))}
    history = {"domain": SignalResult("domain", True, 0.9, 0.9, frozenset({"history"}))}
    assert select_model(decision, policy, history) == "cheap"
    assert select_model(decision, policy, math) == "mid"
    strict = with_quality(decision, 0.95)
    # strong neighbour evidence (10 units of weight, all correct) lifts "mid" over the bar for this prompt
    memory = {"difficulty": SignalResult("difficulty", True, 0.1, 1.0, frozenset(), {"neighbours": {"M-mid": (10.0, 10.0, 0.5)}})}
    lifted = with_quality(decision, 0.9)
    mid_with_memory = policy.models["mid"].model_copy(update={"outcome_model": "M-mid"})
    policy_mem = policy.model_copy(update={"models": policy.models | {"mid": mid_with_memory}})
    assert select_model(lifted, policy_mem, math | memory) == "mid"
    assert select_model(lifted, policy, math) == "top"
    assert select_model(strict, policy, math) == "top"  # nobody clears: the best predicted




def test_old_flat_strategy_keys_load_with_a_deprecation_warning(caplog) -> None:
    with caplog.at_level("WARNING", logger="router_extproc.policy.loader"):
        policy = _policy({"models": ["small", "big"], "strategy": "strong_weak", "difficulty_threshold": 0.3})
    strategy = policy.decisions[0].strategy
    assert (strategy.type, strategy.threshold, strategy.sweep) == ("strong_weak", 0.3, "threshold")
    assert "'difficulty_threshold' is deprecated" in caplog.text
    assert _policy({"models": ["small"], "strategy": "static"}).decisions[0].strategy.type == "static"


def test_a_strategy_with_an_unknown_type_is_refused() -> None:
    from router_extproc.policy import PolicyError

    with pytest.raises(PolicyError, match="strategy"):
        _policy({"models": ["small"], "strategy": {"type": "coin_flip"}})
