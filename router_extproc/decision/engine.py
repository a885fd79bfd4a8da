"""Pick the first matching decision by priority; fall back to the policy's default model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..policy.models import Policy
from ..signals.base import SignalResult
from .rules import evaluate_rule

Reason = Literal["rule", "default", "explicit", "block"]


@dataclass(frozen=True)
class RouteChoice:
    """The model chosen for a request and why (the decision's name and the kind of reason)."""

    decision: str
    model: str
    reason: Reason


class DecisionEngine:
    def __init__(self, policy: Policy) -> None:
        order = sorted(enumerate(policy.decisions), key=lambda item: (-item[1].priority, item[0]))
        self._decisions = [decision for _, decision in order]
        self._default = policy.default_model

    def choose(self, results: Mapping[str, SignalResult]) -> RouteChoice:
        for decision in self._decisions:
            if evaluate_rule(decision.when, results):
                return RouteChoice(decision.name, decision.model or "", "block" if decision.block else "rule")
        return RouteChoice("default", self._default, "default")
