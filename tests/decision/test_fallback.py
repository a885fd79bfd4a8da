"""Fallback chains: the decision's next models after the chosen one, a local-only chain for
private requests, and the router names a chain only when every model on it is allowed."""

from __future__ import annotations

import yaml

from router_extproc.decision.fallback import FallbackChains, chains
from router_extproc.policy import parse_policy
from tests.policy.test_loader import MINIMAL


def _policy(attempts: int = 2):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["models"]["mid"] = dict(data["models"]["small"], provider_model_id="m")
    data["decisions"] = [{"name": "d", "when": {"signal": "keyword:code"}, "models": ["small", "big", "mid"],
                          "fallback": {"attempts": attempts}}]
    return parse_policy(yaml.safe_dump(data))


def test_chains_follow_the_decisions_order_and_add_local_ones() -> None:
    found = {c.id: c.models for c in chains(_policy())}
    assert found == {"d/small": ("small", "big"), "d/small/local": ("small", "mid"),
                     "d/big": ("big", "mid"), "d/mid": ("mid", "small")}
    assert {c.id: c.models for c in chains(_policy(3))}["d/small"] == ("small", "big", "mid")


def test_choose_takes_the_first_chain_whose_every_model_is_allowed() -> None:
    table = FallbackChains(_policy())
    assert table.choose("d", "small", lambda m: True).id == "d/small"
    local_only = table.choose("d", "small", lambda m: m != "big")
    assert local_only is not None and local_only.id == "d/small/local"
    assert table.choose("d", "big", lambda m: m != "mid") is None
    chain = table.get("d/small/local")
    assert chain is not None and chain.served_by(2) == "mid" and chain.served_by(3) is None
