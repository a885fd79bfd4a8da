"""The router for one policy version: signals + decision engine, built once per load.

``RouterState`` holds the router in force; a stream takes it once at start, so a reload
never changes the policy under a request in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .decision import DecisionEngine, RouteChoice
from .errors import RequestError, model_not_found
from .openai_request import ParsedRequest
from .policy import Policy
from .policy.models import ModelSpec
from .signals import SharedModels, SignalEngine, SignalResult, default_models

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteOutcome:
    choice: RouteChoice
    model: ModelSpec
    signals: dict[str, SignalResult] = field(default_factory=dict)


class Router:
    def __init__(self, policy: Policy, version: str = "1", models: SharedModels | None = None) -> None:
        self.policy = policy
        self.version = version
        self.signals = SignalEngine(policy.signals, models or default_models())
        self._engine = DecisionEngine(policy)
        self._auto = frozenset(policy.auto_model_names)
        self._blocks = {d.name: d.block for d in policy.decisions if d.block is not None}

    @property
    def max_body_bytes(self) -> int:
        return self.policy.limits.max_body_bytes

    def compute_signals(self, request: ParsedRequest) -> dict[str, SignalResult]:
        return self.signals.compute(request)

    def route(self, request: ParsedRequest) -> RouteOutcome:
        """Choose the model: ``auto`` runs the decisions, a known model passes through."""
        if request.model in self._auto:
            results = self.compute_signals(request)
            choice = self._engine.choose(results)
            block = self._blocks.get(choice.decision)
            if block is not None:
                raise RequestError(block.status, block.message, "invalid_request_error", block.code)
            return RouteOutcome(choice, self.policy.models[choice.model], results)
        name = self.policy.model_for_id(request.model)
        if name is None:
            raise model_not_found(request.model)
        return RouteOutcome(RouteChoice("explicit", name, "explicit"), self.policy.models[name])

    def default_outcome(self, decision: str) -> RouteOutcome:
        """The fail-safe route: the policy's default model, which is always local."""
        name = self.policy.default_model
        return RouteOutcome(RouteChoice(decision, name, "default"), self.policy.models[name])


class RouterState:
    """The router in force. Swapping is one reference assignment, atomic for readers."""

    def __init__(self, router: Router) -> None:
        self._router = router

    def current(self) -> Router:
        return self._router

    def replace(self, router: Router) -> None:
        self._router = router
