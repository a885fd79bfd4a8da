"""The request phases' whole job in one object: route a body, or refuse it.

``Planner.plan`` turns the raw body of a routed request into a ``RequestPlan``: decoded and
parsed by its endpoint spec, decided by the policy's ``Router``, rewritten by the decision's
actions, re-serialised, with the headers that send it to the chosen model's Envoy route and
what must be undone in the answer. Bad input and gate refusals become a plan with a
``refusal``. A router bug (any other exception) becomes the fail-safe plan: the policy's
default model (always local), the body unchanged but for its model id, built by the same
``forward`` as every routed body (one model-id rewrite in the code base). The ext_proc adapter
only translates a plan into ProcessingResponses; the plan knows nothing of ext_proc.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from router_extproc import headers as H
from router_extproc.cache.runtime import CacheRuntime
from router_extproc.cache.stage import ResponseCache, Ticket
from router_extproc.deadline import Deadline
from router_extproc.endpoints import EndpointSpec, ParsedRequest, serialize
from router_extproc.endpoints.json_body import decode_json
from router_extproc.errors import RequestError
from router_extproc.routing.actions import upstream_body
from router_extproc.routing.affinity import Affinity
from router_extproc.routing.cascade_run import CascadePlan, stage
from router_extproc.routing.router import RouteOutcome, Router
from router_extproc.telemetry.throttle import Throttle

log = logging.getLogger(__name__)
_TRACEBACKS = Throttle(60.0)
"""Fail-safe routing logs one line per request; its traceback at most once a minute."""


DEADLINE_EXCEEDED = "DeadlineExceeded"
"""The fail-safe reason (``router_fail_safe_total{error}``) of a request whose work overran the
router's deadline: by design, not a bug."""

@dataclass
class RequestPlan:
    spec: EndpointSpec
    stream: bool = False
    request: ParsedRequest | None = None
    outcome: RouteOutcome | None = None
    body: bytes | None = None
    """The body to send upstream (None: unchanged)."""
    set_headers: dict[str, str] = field(default_factory=dict)
    refusal: RequestError | None = None
    strip_usage_event: bool = False
    """The router asked a stream for usage the client did not: drop it from the answer."""
    failed_safe: str | None = None
    """The exception's type name when a router bug sent the request to the default model."""
    seconds: float = 0.0
    """Router time for the body: parse, signals, decision, actions, serialisation."""
    cascade: CascadePlan | None = None
    """The agreement cascade around this request (``routing/cascade_run.py``); None: one call."""
    cache: Ticket | None = None
    """The request's way through the response cache (None: the policy has no cache)."""

    @property
    def cached(self) -> bool:
        """Answered from the cache: no upstream call."""
        return self.cache is not None and self.cache.answer is not None

    @property
    def routed(self) -> bool:
        return self.outcome is not None


def route_headers(outcome: RouteOutcome, content_length: int | None) -> dict[str, str]:
    """Request headers that send the request to the chosen model's Envoy route (plus the
    decision's extra headers). ``content_length`` must follow any body rewrite: Envoy answers
    500 when a body mutation and the header disagree."""
    set_headers = dict(outcome.choice.actions.headers) if outcome.choice.actions else {}
    set_headers[H.SELECTED_MODEL] = outcome.choice.model
    if outcome.fallback is not None:
        set_headers[H.ROUTER_FALLBACK] = outcome.fallback.id  # Envoy's chain route retries on its next models
    if content_length is not None:
        set_headers[H.CONTENT_LENGTH] = str(content_length)
    return set_headers


class Planner:
    """Builds plans for one router (one policy version)."""

    def __init__(self, router: Router, prompt_hash: Callable[[Iterable[str]], str | None] | None = None,
                 caches: CacheRuntime | None = None, cascades: bool = False) -> None:
        self.router = router
        self._prompt_hash = prompt_hash
        self.cascades = cascades
        """True when the router can make side calls (Envoy's internal listener is configured)."""
        self.cache: ResponseCache | None = caches.cache_for(router.policy, router.version) if caches else None
        store = caches.affinity_store(router.policy, router.version) if caches else None
        spec = router.policy.affinity
        self.affinity = Affinity(spec, router, store) if spec is not None and store is not None else None

    def plan(self, spec: EndpointSpec, raw: bytes, headers: Mapping[str, str], request_id: str = "-",
             deadline: Deadline | None = None) -> RequestPlan:
        started = time.perf_counter()
        plan = RequestPlan(spec)
        deadline = deadline or self.deadline()
        try:
            document = decode_json(raw)
            plan.stream = isinstance(document, dict) and document.get("stream") is True
            plan.request = spec.parse(document)
            if self._cache_before(plan, plan.request, headers):
                plan.seconds = time.perf_counter() - started
                return plan
            plan.outcome = self.router.route(plan.request, headers, deadline)
            if self.affinity is not None:
                plan.outcome = self.affinity.apply(plan.request, plan.outcome, headers)
            if self._cache_after(plan, plan.outcome):
                plan.seconds = time.perf_counter() - started
                return plan
            # after the cache (a hit makes no calls) and affinity (a kept model is not re-decided)
            plan.outcome, plan.cascade = stage(self.router, spec, plan.request, plan.outcome, self.cascades)
            self._forward(plan, plan.request, plan.outcome, upstream_body(spec, plan.request, plan.outcome))
        except RequestError as error:
            plan.refusal, plan.outcome = error, None
        except Exception as exc:  # a router bug: the request still goes to the local default model
            log.error("routing failed for request %s (%s); sent to the default model", request_id,
                      type(exc).__name__, exc_info=_TRACEBACKS.allow())
            self._fail_safe(plan, type(exc).__name__)
        plan.seconds = time.perf_counter() - started
        return plan

    def _cache_before(self, plan: RequestPlan, request: ParsedRequest, headers: Mapping[str, str]) -> bool:
        """The exact lookup; True on a hit. A cache bug is a bypass, never a failed request."""
        if self.cache is None:
            return False
        try:
            plan.cache = self.cache.begin(request, headers)
        except Exception as exc:
            log.error("cache lookup failed (%s): bypassed", type(exc).__name__, exc_info=_TRACEBACKS.allow())
            plan.cache = Ticket("bypass", "error")
        return plan.cached

    def _cache_after(self, plan: RequestPlan, outcome: RouteOutcome) -> bool:
        """Privacy and the semantic lookup, once routed; True on a hit."""
        if self.cache is None or plan.cache is None:
            return False
        try:
            self.cache.after_route(plan.cache, outcome.pii, outcome.view)
        except Exception as exc:
            log.error("semantic cache lookup failed (%s): bypassed", type(exc).__name__, exc_info=_TRACEBACKS.allow())
            plan.cache.bypass("error")
        return plan.cached

    def deadline(self) -> Deadline:
        """A new deadline for one request, from the policy's ``limits.decision_ms``."""
        return Deadline(self.router.policy.limits.decision_ms / 1000)

    def timed_out(self, spec: EndpointSpec, request_id: str = "-") -> RequestPlan:
        """The plan when the body's work overran the deadline (a thread cannot be stopped from
        outside): the fail-safe route, i.e. the policy's local default model, before Envoy gives up."""
        log.warning("request %s: routing overran its %s ms deadline; sent to the default model", request_id,
                    self.router.policy.limits.decision_ms)
        plan = RequestPlan(spec)
        self._fail_safe(plan, DEADLINE_EXCEEDED)
        return plan

    def prompt_hash(self, request: ParsedRequest) -> str | None:
        return self._prompt_hash(m.text for m in request.messages) if self._prompt_hash is not None else None

    def _forward(self, plan: RequestPlan, request: ParsedRequest, outcome: RouteOutcome, body: dict[str, Any]) -> None:
        plan.strip_usage_event = plan.spec.ask_for_usage(body)
        plan.body = serialize(body)
        plan.set_headers = route_headers(outcome, len(plan.body))

    def _fail_safe(self, plan: RequestPlan, error: str) -> None:
        """The policy's default model (always local), the body untouched but for its model id."""
        plan.outcome = self.router.default_outcome("router-error")
        plan.refusal, plan.failed_safe = None, error
        if plan.request is None:
            plan.body, plan.set_headers = None, route_headers(plan.outcome, None)
            return
        body = dict(plan.request.body)
        plan.spec.set_model(body, plan.outcome.model.provider_model_id)
        plan.body = serialize(body)
        plan.set_headers = route_headers(plan.outcome, len(plan.body))
