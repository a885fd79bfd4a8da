"""Pick the first matching decision by priority, apply its strategy, honour confidence floors.

Decisions in ``shadow`` mode are evaluated in the same order but never applied: the ones that
would have fired are reported with the choice (``shadowed``), so a gate can be measured on
live traffic before it refuses anything. A request naming a model itself is still subject to
the policy's gates (``Decision.is_gate``); routing decisions do not override its choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from router_extproc.decision.rules import evaluate_rule
from router_extproc.decision.strategies import select_model
from router_extproc.policy.spec import Actions, Block, Decision, Policy
from router_extproc.signals.base import SignalResult

Reason = Literal["rule", "default", "explicit", "block", "low_confidence", "privacy", "capability", "error", "session"]


@dataclass(frozen=True)
class RouteChoice:
    """The model chosen for a request and why (the decision's name and the kind of reason)."""

    decision: str
    model: str
    reason: Reason
    actions: Actions | None = None
    block: Block | None = None
    shadowed: tuple[str, ...] = ()
    """Shadow-mode decisions that matched before this choice was made (never applied)."""


class DecisionEngine:
    def __init__(self, policy: Policy) -> None:
        order = sorted(enumerate(policy.decisions), key=lambda item: (-item[1].priority, item[0]))
        self._decisions = [decision for _, decision in order]
        self._gates = [d for d in self._decisions if d.is_gate]
        self._by_name = {d.name: d for d in policy.decisions}
        self._policy = policy
        self._default = policy.default_model

    def choose(self, results: Mapping[str, SignalResult]) -> RouteChoice:
        """The choice for a request that asked the router to pick (``model: auto``)."""
        return self._first(self._decisions, results, RouteChoice("default", self._default, "default"))

    def choose_explicit(self, model: str, results: Mapping[str, SignalResult]) -> RouteChoice:
        """The choice for a request naming ``model`` (a policy model name): the gates still apply."""
        return self._first(self._gates, results, RouteChoice("explicit", model, "explicit"))

    def _first(self, decisions: list[Decision], results: Mapping[str, SignalResult], otherwise: RouteChoice) -> RouteChoice:
        shadowed: list[str] = []
        for decision in decisions:
            choice = self._try(decision, results)
            if choice is None:
                continue
            if decision.mode == "shadow":
                shadowed.append(decision.name)
                continue
            return replace(choice, shadowed=tuple(shadowed))
        return replace(otherwise, shadowed=tuple(shadowed))

    def _try(self, decision: Decision, results: Mapping[str, SignalResult]) -> RouteChoice | None:
        """The decision's choice if its rule holds (None: it does not decide this request)."""
        if not evaluate_rule(decision.when, results):
            return None
        if self._below_floor(decision, results):
            fallback = decision.on_low_confidence
            if fallback is None:
                return None  # an unsure signal does not decide: try the next decision
            if fallback.model is not None:
                return RouteChoice(decision.name, fallback.model, "low_confidence", decision.actions)
            assert fallback.decision is not None  # a fallback names a model or a decision (validated)
            target = self._by_name[fallback.decision]  # validated to exist
            return self._apply(target, results, "low_confidence")
        return self._apply(decision, results, "rule")

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
