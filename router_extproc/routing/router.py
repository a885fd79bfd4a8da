"""The router for one policy version: signals + decisions + capability and privacy closure,
built once per load (``server.state.RouterState`` holds the one in force)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from router_extproc.deadline import NO_DEADLINE, Deadline
from router_extproc.decision import DecisionEngine, RouteChoice
from router_extproc.decision.capabilities import Needs, enforce_capabilities, needs_of, unmet
from router_extproc.decision.fallback import Chain, FallbackChains
from router_extproc.decision.privacy import PrivacyState, enforce_privacy, privacy_state
from router_extproc.endpoints import ParsedRequest, spec
from router_extproc.errors import Blocked, RequestError, model_not_found
from router_extproc.policy import Policy
from router_extproc.policy.spec import ModelSpec
from router_extproc.signals import SharedArtifacts, SignalEngine, SignalResult, default_artifacts
from router_extproc.signals.engine import PRIVACY_PII
from router_extproc.signals.view import RequestView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteOutcome:
    choice: RouteChoice
    model: ModelSpec
    signals: dict[str, SignalResult] = field(default_factory=dict)
    pii: SignalResult | None = None
    """The PII scan privacy closure used (the declared ``pii`` signal or the router's own)."""
    privacy: PrivacyState | None = None
    needs: Needs | None = None
    """What the model must serve (capabilities, tokens); session affinity checks a kept model."""
    fallback: Chain | None = None
    """The models Envoy may retry on upstream failure (every one allowed for this request)."""
    view: RequestView | None = field(default=None, compare=False, repr=False)
    """The request's shared view (the cache reads its last-turn embedding from it)."""


def redacted_types(choice: RouteChoice, pii: SignalResult | None) -> frozenset[str]:
    """PII types the decision's redaction removes from the forwarded body."""
    redact = choice.actions.redact_pii if choice.actions else False
    if not redact or pii is None or pii.error:
        return frozenset()
    split = frozenset((pii.details or {}).get("split", ()))  # values split across strings stay in the body
    return (frozenset(pii.labels) if redact is True else frozenset(pii.labels) & set(redact)) - split


class Router:
    def __init__(self, policy: Policy, version: str = "1", artifacts: SharedArtifacts | None = None) -> None:
        self.policy = policy
        self.version = version
        needs_privacy_scan = policy.signals.pii is None and any(m.privacy == "external" for m in policy.models.values())
        self.signals = SignalEngine(policy.signals, artifacts or default_artifacts(), privacy_scan=needs_privacy_scan)
        self._engine = DecisionEngine(policy)
        self._auto = frozenset(policy.auto_model_names)
        self.fallbacks = FallbackChains(policy)

    @property
    def max_body_bytes(self) -> int:
        return self.policy.limits.max_body_bytes

    def knows_model(self, requested: str) -> bool:
        """``auto`` or a model of this policy (what may appear in logs and metrics)."""
        return requested in self._auto or self.policy.model_for_id(requested) is not None

    def compute_signals(self, request: ParsedRequest) -> dict[str, SignalResult]:
        return self.signals.compute(self.signals.view(request))

    def route(self, request: ParsedRequest, headers: Mapping[str, str] | None = None,
              deadline: Deadline = NO_DEADLINE) -> RouteOutcome:
        """Choose the model: ``auto`` runs the decisions, a known model passes through; a
        blocking decision raises ``RequestError``. Capability and privacy closure apply to every path."""
        if not self.knows_model(request.model):
            raise model_not_found(request.model)
        view = self.signals.view(request, deadline)
        results = self.signals.compute(view)
        needs = needs_of(spec(request.endpoint).capability, request.media, request.has_tools, view.prompt_tokens,
                         request.max_output_tokens)
        return replace(self.decide(request.model, results, headers or {}, needs), view=view, needs=needs)

    def decide(self, requested: str, results: Mapping[str, SignalResult], headers: Mapping[str, str],
               needs: Needs | None = None) -> RouteOutcome:
        """The pure decision from signal results (what the property tests drive). A named model
        still passes the policy's gates; a model that cannot serve ``needs`` is replaced by one that
        can (a named one is refused); privacy closure applies to every path, and its choice too must
        serve the request."""
        if requested in self._auto:
            choice = self._engine.choose(results)
        else:
            name = self.policy.model_for_id(requested)
            if name is None:
                raise model_not_found(requested)
            choice = self._engine.choose_explicit(name, results)
        if choice.block is not None:
            raise Blocked(choice.block.status, choice.block.message, "invalid_request_error", choice.block.code,
                          decision=choice.decision, signals=dict(results), shadowed=choice.shadowed)
        if needs is not None:
            if choice.reason == "explicit" and (why := unmet(self.policy.models[choice.model], needs)) is not None:
                raise RequestError(400, f"The model '{requested}' cannot serve this request: it {why}.",
                                   "invalid_request_error", "unsupported_capability", "model")
            choice = enforce_capabilities(self.policy, choice, needs)
        pii = results.get("pii") if self.policy.signals.pii is not None else results.get(PRIVACY_PII)
        state = privacy_state(self.policy, pii, headers, redacted_types(choice, pii))
        private_choice = enforce_privacy(self.policy, choice, state)
        if private_choice is not choice and needs is not None:
            private_choice = enforce_capabilities(self.policy, private_choice, needs, local_only=True)
        choice = private_choice
        chain = self.fallbacks.choose(choice.decision, choice.model, lambda m: self.may_serve(m, choice, state, needs))
        return RouteOutcome(choice, self.policy.models[choice.model], dict(results), pii, state, needs, chain)

    def may_serve(self, model: str, choice: RouteChoice, state: PrivacyState, needs: Needs | None) -> bool:
        """Privacy and capability closure for one more model of this request (a fallback, a cascade stage)."""
        other = replace(choice, model=model)
        if enforce_privacy(self.policy, other, state) is not other:
            return False
        return needs is None or unmet(self.policy.models[model], needs) is None

    def keep_model(self, outcome: RouteOutcome, model: str, headers: Mapping[str, str]) -> RouteOutcome | None:
        """The outcome with ``model`` (a conversation's earlier model) instead of its own choice,
        when capability and privacy closure allow it; None when they force the change."""
        spec_ = self.policy.models.get(model)
        if spec_ is None or outcome.choice.block is not None:
            return None
        if outcome.needs is not None and unmet(spec_, outcome.needs) is not None:
            return None
        choice = replace(outcome.choice, model=model, reason="session")
        state = privacy_state(self.policy, outcome.pii, headers, redacted_types(choice, outcome.pii))
        if enforce_privacy(self.policy, choice, state) is not choice:
            return None
        return replace(outcome, choice=choice, model=spec_)

    def default_outcome(self, decision: str) -> RouteOutcome:
        """The fail-safe route: the policy's default model, which is always local."""
        name = self.policy.default_model
        return RouteOutcome(RouteChoice(decision, name, "error"), self.policy.models[name])
