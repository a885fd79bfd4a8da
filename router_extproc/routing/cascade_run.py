"""The agreement cascade on live requests, through Envoy (docs/cascade.md).

At the request body (``stage``): a request of a cascade decision whose doubt the answers can
decide (``decision/cascade.route``) goes to the cheap model on Envoy's normal route, and the
second opinion is asked in parallel through Envoy's internal listener (``side_calls``). Only a
non-streaming request without tools (unless the strategy allows them) whose every stage may
receive it (privacy and capability closure, checked per model) cascades; any other request
keeps the model the decision predicted without answers.

At the response body (``CascadeRun.finish``): the cheap answer, buffered whole, and the second
opinion (awaited up to ``max_wait_ms`` from the start) are judged by ``decision/cascade.verdict``;
when it escalates, the router fetches the strong model's answer through the internal listener
and the client gets that answer instead. Every call's usage and cost is kept (``calls``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace

from router_extproc.decision.agreement import Answer, choices_in
from router_extproc.decision.cascade import Stages, difficulty_of, route, verdict
from router_extproc.endpoints import EndpointSpec, ParsedRequest, serialize
from router_extproc.endpoints.usage import cost_usd, usage_from_json
from router_extproc.policy.spec import CascadeStrategy, ModelSpec
from router_extproc.routing.actions import upstream_body
from router_extproc.routing.answer_text import read_answer
from router_extproc.routing.router import RouteOutcome, Router
from router_extproc.routing.side_calls import SideCaller, SideReply
from router_extproc.telemetry.record import CallRecord

STRONG_TIMEOUT_SECONDS = 240.0
"""How long the strong model's answer may take (below Envoy's 300 s route timeout)."""
MARGIN_SECONDS = 5.0


@dataclass(frozen=True)
class CascadePlan:
    decision: str
    strategy: CascadeStrategy
    stages: Stages
    models: dict[str, ModelSpec]
    difficulty: float
    choices: str | None
    path: str
    second_body: bytes
    strong_body: bytes

    @property
    def max_wait(self) -> float:
        return self.strategy.max_wait_ms / 1000

    @property
    def budget_seconds(self) -> float:
        """The longest the response phase may hold the answer: Envoy's message timer is extended by this."""
        return self.max_wait + STRONG_TIMEOUT_SECONDS + MARGIN_SECONDS


def _with_model(router: Router, outcome: RouteOutcome, model: str) -> RouteOutcome:
    choice = replace(outcome.choice, model=model)
    return replace(outcome, choice=choice, model=router.policy.models[model])


def stage(router: Router, spec: EndpointSpec, request: ParsedRequest, outcome: RouteOutcome,
          enabled: bool) -> tuple[RouteOutcome, CascadePlan | None]:
    """The outcome the main request takes, and the cascade around it (None: a single call)."""
    decision = next((d for d in router.policy.decisions if d.name == outcome.choice.decision), None) if enabled else None
    if decision is None or not isinstance(decision.strategy, CascadeStrategy) or outcome.choice.reason != "rule":
        return outcome, None
    strategy = decision.strategy
    privacy = outcome.privacy
    if request.stream or (request.has_tools and not strategy.tools) or privacy is None:
        return outcome, None
    stages = Stages.of(decision)
    names = (stages.cheap, stages.second, stages.strong)

    def allowed(model: str) -> bool:
        return router.may_serve(model, outcome.choice, privacy, outcome.needs)

    if not all(allowed(m) for m in names):
        return outcome, None
    difficulty = difficulty_of(outcome.signals)
    if route(strategy, difficulty) != "cascade":
        return outcome, None
    cheap = _with_model(router, outcome, stages.cheap)
    cheap = replace(cheap, fallback=router.fallbacks.choose(decision.name, stages.cheap, allowed))
    bodies = {m: serialize(upstream_body(spec, request, _with_model(router, outcome, m)))
              for m in (stages.second, stages.strong)}
    plan = CascadePlan(decision.name, strategy, stages, {m: router.policy.models[m] for m in names}, difficulty,
                       choices_in(request.last_user_text), spec.path, bodies[stages.second], bodies[stages.strong])
    return cheap, plan


@dataclass
class CascadeResult:
    served: str
    escalated: bool
    reason: str
    doubt: float
    calls: list[CallRecord] = field(default_factory=list)
    body: bytes | None = None
    """The strong model's answer that replaces the cheap one (None: the cheap answer stands)."""

    @property
    def outcome(self) -> str:
        return "escalated" if self.escalated else "kept"

    @property
    def cost_usd(self) -> float | None:
        costs = [c.cost_usd for c in self.calls if c.cost_usd is not None]
        return sum(costs) if costs else None


class CascadeRun:
    """One request's cascade: started at the request body, finished at the response body."""

    def __init__(self, plan: CascadePlan, caller: SideCaller, spec: EndpointSpec) -> None:
        self.plan = plan
        self._caller = caller
        self._spec = spec
        self._started = 0.0
        self._second: asyncio.Future[SideReply] | None = None

    def start(self) -> None:
        self._started = time.perf_counter()
        plan = self.plan
        self._second = asyncio.ensure_future(
            self._caller.call(plan.stages.second, plan.path, plan.second_body, "second", plan.max_wait))

    def cancel(self) -> None:
        if self._second is not None and not self._second.done():
            self._second.cancel()

    def _call(self, model: str, stage: str, status: int | None, body: bytes, seconds: float | None) -> CallRecord:
        ok = status is not None and 200 <= status < 300
        usage = usage_from_json(self._spec.usage, body) if ok and body else None
        cost = cost_usd(self.plan.models[model], usage) if usage is not None else None
        return CallRecord(model, stage, status, usage, cost, seconds)

    def _answer(self, status: int | None, body: bytes) -> Answer:
        ok = status is not None and 200 <= status < 300
        return read_answer(self._spec.name, body) if ok else Answer(None)

    async def _second_opinion(self) -> SideReply:
        assert self._second is not None
        left = max(0.0, self.plan.max_wait - (time.perf_counter() - self._started))
        try:
            return await asyncio.wait_for(asyncio.shield(self._second), left)
        except TimeoutError:
            self._second.cancel()
            return SideReply(None, b"", time.perf_counter() - self._started)

    async def finish(self, cheap_status: int | None, cheap_body: bytes, cheap_seconds: float | None) -> CascadeResult:
        plan, stages = self.plan, self.plan.stages
        second = await self._second_opinion()
        calls = [self._call(stages.cheap, "cheap", cheap_status, cheap_body, cheap_seconds),
                 self._call(stages.second, "second", second.status, second.body, second.seconds)]
        judged = verdict(plan.strategy, plan.difficulty, self._answer(cheap_status, cheap_body),
                         self._answer(second.status, second.body), plan.choices)
        result = CascadeResult(stages.cheap, False, judged.reason, judged.doubt, calls)
        if not judged.escalate:
            return result
        strong = await self._caller.call(stages.strong, plan.path, plan.strong_body, "strong", STRONG_TIMEOUT_SECONDS)
        calls.append(self._call(stages.strong, "strong", strong.status, strong.body, strong.seconds))
        result.escalated = True
        if strong.status is not None and 200 <= strong.status < 300:
            result.served, result.body = stages.strong, strong.body
        else:
            result.reason = f"{judged.reason},strong_failed"  # the cheap answer is still an answer
        return result
