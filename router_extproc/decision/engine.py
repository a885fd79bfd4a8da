"""Pick the first matching decision by priority, apply its strategy, honour confidence floors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..policy.models import Actions, Block, Decision, Policy
from ..signals.base import SignalResult
from .rules import evaluate_rule
from .strategies import select_model

Reason = Literal["rule", "default", "explicit", "block", "low_confidence", "privacy", "error"]


@dataclass(frozen=True)
class RouteChoice:
    """The model chosen for a request and why (the decision's name and the kind of reason)."""

    decision: str
    model: str
    reason: Reason
    actions: Actions | None = None
    block: Block | None = None


class DecisionEngine:
    def __init__(self, policy: Policy) -> None:
        order = sorted(enumerate(policy.decisions), key=lambda item: (-item[1].priority, item[0]))
        self._decisions = [decision for _, decision in order]
        self._by_name = {d.name: d for d in policy.decisions}
        self._policy = policy
        self._default = policy.default_model

    def choose(self, results: Mapping[str, SignalResult]) -> RouteChoice:
        for decision in self._decisions:
            if not evaluate_rule(decision.when, results):
                continue
            if self._below_floor(decision, results):
                fallback = decision.on_low_confidence
                if fallback is None:
                    continue  # an unsure signal does not decide: try the next decision
                if fallback.model is not None:
                    return RouteChoice(decision.name, fallback.model, "low_confidence", decision.actions)
                target = self._by_name[fallback.decision]  # validated to exist
                return self._apply(target, results, "low_confidence")
            return self._apply(decision, results, "rule")
        return RouteChoice("default", self._default, "default")

    def _apply(self, decision: Decision, results: Mapping[str, SignalResult], reason: Reason) -> RouteChoice:
        if decision.block is not None:
            return RouteChoice(decision.name, "", "block", decision.actions, decision.block)
        model = select_model(decision, self._policy, results)
        return RouteChoice(decision.name, model, reason, decision.actions)

    @staticmethod
    def _below_floor(decision: Decision, results: Mapping[str, SignalResult]) -> bool:
        if decision.min_confidence <= 0:
            return False
        return any(
            ref in results and results[ref].confidence < decision.min_confidence for ref in decision.when.signal_refs()
        )
