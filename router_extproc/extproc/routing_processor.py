"""The ext_proc adapter: Envoy's messages in, the routing layer's plan and observer out.

Request headers: which API the path is (a pass-through path is switched off, an unknown one
refused), refusals that need no body (encoding, size). Request body: the ``Planner`` builds a
``RequestPlan`` off the event loop; a routed plan becomes ``x-selected-model`` +
``clear_route_cache`` + the rewritten body, a refusal an immediate response in the API's own
error shape. Response headers: the ``ResponseObserver`` chooses the body mode; the client is
told which decision chose which model. Response body: the observer reads usage and may drop
what the router's usage option added. Stream end: one ``RequestRecord`` to metrics, trace and
decision log. No routing decision is taken here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from router_extproc import headers as H
from router_extproc.cache.runtime import CacheRuntime
from router_extproc.cache.stage import PendingAnswer
from router_extproc.endpoints import EndpointSpec, spec
from router_extproc.endpoints.paths import endpoint_for, is_routed_path, method_not_allowed, passes_through, unknown_url
from router_extproc.endpoints.usage import Usage
from router_extproc.errors import (
    ROUTER_DETAILS_PREFIX,
    Blocked,
    RequestError,
    bad_request,
    too_large,
    unsupported_encoding,
)
from router_extproc.extproc import responses
from router_extproc.extproc.processor import Processor
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.routing.cascade_run import CascadeResult, CascadeRun
from router_extproc.routing.observer import BodyMode, ResponseObserver
from router_extproc.routing.plan import Planner, RequestPlan
from router_extproc.routing.router import Router
from router_extproc.routing.side_calls import SideCaller
from router_extproc.signals.explain import signals_header
from router_extproc.telemetry import RequestRecord, Telemetry
from router_extproc.telemetry.record import safe_request_id

log = logging.getLogger(__name__)

ProcessingMode = responses.ProcessingMode
OVERRUN_GRACE_SECONDS = 0.2
"""How long past the deadline the adapter waits for the worker thread before answering itself."""
STORE_WAIT_SECONDS = 0.25
"""The most an answer's last chunk waits for its store (the store's own timeout comes first)."""
_MODES = {BodyMode.NONE: ProcessingMode.NONE, BodyMode.BUFFERED: ProcessingMode.BUFFERED,
          BodyMode.STREAMED: ProcessingMode.STREAMED}


class RoutingProcessor(Processor):
    def __init__(self, router: Router, telemetry: Telemetry | None = None, side_caller: SideCaller | None = None,
                 caches: CacheRuntime | None = None) -> None:
        self._router = router  # fixed for the whole stream, even across a policy reload
        self._telemetry = telemetry
        self._side_caller = side_caller
        self._planner = Planner(router, telemetry.prompt_hash if telemetry is not None else None, caches,
                                cascades=side_caller is not None)
        self._cascade: CascadeRun | None = None
        self._pending: PendingAnswer | None = None
        self._tracing = telemetry is not None and telemetry.tracing is not None
        self._headers: dict[str, str] = {}
        self._metadata: Mapping[str, str] = {}
        self._spec: EndpointSpec | None = None
        self._plan: RequestPlan | None = None
        self._observer: ResponseObserver | None = None
        self._record = RequestRecord(policy_version=router.version)

    # -- stream ------------------------------------------------------------------------------

    def on_stream_start(self, metadata: Mapping[str, str]) -> None:
        self._metadata = metadata

    def on_stream_end(self, error: BaseException | None) -> None:
        if self._cascade is not None:
            self._cascade.cancel()
        record = self._record
        record.ended_ns = time.time_ns()
        record.cancelled = not self.exchange_complete  # the answer started but never finished
        if self._telemetry is not None:
            self._telemetry.finish(record, self._metadata, self._headers)

    async def process(self, request: pb.ProcessingRequest) -> pb.ProcessingResponse | None:
        if not self._tracing:
            return await super().process(request)
        started = time.time_ns()
        response = await super().process(request)
        phase = request.WhichOneof("request")
        if phase is not None:
            self._record.phase(phase, started, time.time_ns())
        return response

    # -- request -----------------------------------------------------------------------------

    async def on_request_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        values = responses.headers_to_dict(headers.headers)
        self._headers = values
        record = self._record
        record.request_id = safe_request_id(values.get(H.REQUEST_ID))
        method, path = values.get(H.METHOD, ""), values.get(H.PATH, "")
        record.endpoint = endpoint_for(method, path)
        if record.endpoint is None:
            self.exchange_complete = True
            if passes_through(method, path):
                return responses.request_headers(mode_override=responses.pass_through_mode())
            # Envoy's routes refuse these already; an older Envoy config must not forward them either.
            return self._refuse(method_not_allowed() if is_routed_path(path) else unknown_url(), False)
        self._spec = spec(record.endpoint)
        encoding = (values.get(H.CONTENT_ENCODING) or "identity").strip().lower()
        if encoding != "identity":
            return self._refuse(unsupported_encoding(encoding), False)
        if headers.end_of_stream:
            return self._refuse(bad_request("Request body is empty; expected a JSON object.", code="missing_body"), False)
        declared = values.get(H.CONTENT_LENGTH, "")
        if declared.isdigit() and int(declared) > self._router.max_body_bytes:
            return self._refuse(too_large(int(declared), self._router.max_body_bytes), False)
        return responses.request_headers(mode_override=responses.routed_mode())

    async def on_request_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        if self._spec is None:
            return responses.request_body()
        raw = body.body
        if len(raw) > self._router.max_body_bytes:
            return self._refuse(too_large(len(raw), self._router.max_body_bytes), False)
        # parsing, signals, the decision and the rewrite are CPU work: off the event loop, and
        # answered by the deadline (plus a margin for the thread to notice it) whatever happens
        deadline = self._planner.deadline()
        work = asyncio.get_running_loop().run_in_executor(
            None, self._planner.plan, self._spec, raw, self._headers, self._record.request_id, deadline)
        try:
            plan = await asyncio.wait_for(work, (deadline.seconds or 0) + OVERRUN_GRACE_SECONDS)
        except TimeoutError:
            plan = self._planner.timed_out(self._spec, self._record.request_id)
        self._plan = plan
        self._account(plan)
        if plan.cached:
            return self._answer_from_cache(plan)
        if plan.refusal is not None:
            return self._refuse(plan.refusal, plan.stream)
        outcome = plan.outcome
        assert outcome is not None  # a plan either refuses or routes
        self._observer = ResponseObserver(self._spec, outcome, plan.strip_usage_event, self._record)
        self._record.routed_at = time.perf_counter()
        if plan.cascade is not None and self._side_caller is not None:
            self._cascade = CascadeRun(plan.cascade, self._side_caller, self._spec)
            self._cascade.start()
        else:  # a cascade's answer is known only at its end (it may replace the cheap one): stored then
            self._pending = self._pending_for(outcome.choice.model)
        log.debug("request %s: decision=%s model=%s reason=%s signals=%s in %.2f ms", self._record.request_id,
                  outcome.choice.decision, outcome.choice.model, outcome.choice.reason,
                  signals_header(outcome.signals), plan.seconds * 1000)
        return responses.request_body(plan.set_headers, plan.body, clear_route_cache=True)

    def _account(self, plan: RequestPlan) -> None:
        """What the plan says about the request, into its record."""
        record = self._record
        record.stream = plan.stream
        record.router_seconds = plan.seconds
        request = plan.request
        if request is not None:
            record.requested_model = request.model if self._router.knows_model(request.model) else "unknown"
            record.prompt_hash = self._planner.prompt_hash(request)
        if plan.failed_safe is not None:
            record.failed_safe, record.error = True, plan.failed_safe
        if plan.outcome is not None:
            choice = plan.outcome.choice
            record.decision, record.model, record.reason = choice.decision, choice.model, choice.reason
            record.signals, record.shadowed = plan.outcome.signals, choice.shadowed
        if plan.cache is not None:
            record.cache, record.cache_reason = plan.cache.status, plan.cache.reason or None
            record.cache_store_errors += plan.cache.store_error

    def _answer_from_cache(self, plan: RequestPlan) -> pb.ProcessingResponse:
        """A hit: the stored answer, as the client's API framed it, at zero cost."""
        assert plan.cache is not None and plan.cache.answer is not None
        answer = plan.cache.answer
        record = self._record
        record.decision, record.reason, record.status = "cache", answer.kind, 200
        record.model = answer.model if self._router.policy.models.get(answer.model) is not None else ""
        record.usage, record.cost_usd = Usage(0, 0), 0.0
        self.exchange_complete = True
        headers = {H.CONTENT_TYPE: answer.content_type, H.ROUTER_CACHE: "hit", H.ROUTER_DECISION: "cache",
                   H.ROUTER_REASON: answer.kind, H.ROUTER_MODEL: answer.model, H.ROUTER_POLICY: self._router.version}
        if answer.content_type == "text/event-stream":
            headers["cache-control"] = "no-cache"
        return responses.immediate(200, answer.body, headers, details="router_cache_hit")

    def _refuse(self, error: RequestError, stream: bool) -> pb.ProcessingResponse:
        log.info("request %s refused: %s %s", self._record.request_id, error.status, error.code or error.type)
        reason = error.code or error.type
        record = self._record
        if isinstance(error, Blocked):
            record.blocked_reason, record.decision = reason, error.decision
            record.signals, record.shadowed = error.signals, error.shadowed
        else:
            record.refused_code, record.decision = reason, "refused"
        record.status = error.status
        self.exchange_complete = True
        body, content_type = (self._spec or spec("chat")).render_error(error, stream)
        headers = {H.CONTENT_TYPE: content_type, H.ROUTER_DECISION: "refused", H.ROUTER_REASON: reason}
        if isinstance(error, Blocked):
            headers[H.ROUTER_SIGNALS] = signals_header(error.signals, error.shadowed)
        return responses.immediate(error.status, body, headers, details=ROUTER_DETAILS_PREFIX + reason)

    # -- response ----------------------------------------------------------------------------

    async def on_response_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        if self._observer is None or self._plan is None or self._plan.outcome is None:
            self.exchange_complete = True  # Envoy's own reply (its 413) before a decision: nothing more to do
            return responses.response_headers()
        outcome = self._plan.outcome
        values = responses.headers_to_dict(headers.headers)
        served = self._served_by(values)
        mode = self._observer.on_headers(values, headers.end_of_stream)
        if self._cascade is not None:
            if mode is BodyMode.NONE:  # an error, or no JSON answer to compare: Envoy's answer stands
                self._cascade.cancel()
                self._cascade = None
            else:
                mode = BodyMode.BUFFERED  # the whole cheap answer, to compare and maybe replace
        self.exchange_complete = self._observer.finished
        set_headers = {
            H.ROUTER_DECISION: outcome.choice.decision,
            H.ROUTER_MODEL: served,
            H.ROUTER_REASON: outcome.choice.reason,
            H.ROUTER_SIGNALS: signals_header(outcome.signals, outcome.choice.shadowed),
            H.ROUTER_POLICY: self._router.version,
        }
        if served != outcome.choice.model:
            set_headers[H.ROUTER_FALLBACK] = f"{outcome.choice.model}>{served}"
        if self._plan.cache is not None:
            set_headers[H.ROUTER_CACHE] = self._plan.cache.status
        if self._pending is not None and (mode is BodyMode.NONE or not
                                          self._pending.on_headers(self._record.status, values.get(H.CONTENT_TYPE, ""))):
            self._pending = None
        return responses.response_headers(
            set_headers,
            mode_override=responses.response_body_mode(_MODES[mode]),
            # a cascade may replace the answer: Envoy refuses a body mutation that disagrees with
            # the length it already holds, so the length goes (the client gets the new one framed)
            remove=(H.CONTENT_LENGTH,) if self._cascade is not None else (),
        )

    def _served_by(self, values: Mapping[str, str]) -> str:
        """The model that answered: the chosen one, or the one Envoy's fallback chain moved to."""
        assert self._plan is not None and self._plan.outcome is not None and self._observer is not None
        outcome = self._plan.outcome
        chain, attempts = outcome.fallback, values.get("x-envoy-attempt-count", "")
        if chain is None or not attempts.isdigit():
            return outcome.choice.model
        self._record.attempts = int(attempts)
        served = chain.served_by(int(attempts)) or outcome.choice.model
        if served != outcome.choice.model:
            self._record.model, self._record.fallback_from = served, outcome.choice.model
            self._observer.served_by(self._router.policy.models[served])
            if self._cascade is not None:  # the cheap stage itself fell back: no like-for-like comparison
                self._cascade.cancel()
                self._cascade = None
        return served

    async def on_response_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        if self._observer is None:
            return responses.response_body()
        replacement = self._observer.on_body(body.body, body.end_of_stream)
        if self._cascade is not None and body.end_of_stream:
            cascade, self._cascade = self._cascade, None
            result = await cascade.finish(self._record.status, body.body, self._record.upstream_seconds)
            self.exchange_complete = self._observer.finished
            await self._store_cascaded(result, body.body)
            return self._cascaded(result)
        self.exchange_complete = self._observer.finished
        if self._pending is not None:
            self._pending.feed(body.body if replacement is None else replacement)
            if body.end_of_stream:
                pending, self._pending = self._pending, None
                await self._store_answer(pending)
        return responses.response_body(replacement)

    def _pending_for(self, model: str) -> PendingAnswer | None:
        """What collects this request's answer from ``model`` for the cache (None: nothing is
        stored: no cache, a bypass, or a fail-safe route)."""
        cache, plan = self._planner.cache, self._plan
        if cache is None or plan is None or plan.cache is None or plan.failed_safe is not None:
            return None
        return cache.pending(plan.cache, model)

    async def _store_cascaded(self, result: CascadeResult, cheap_body: bytes) -> None:
        """A cascade's final answer (the strong one, or the cheap one it kept) into the cache,
        when the model that served it answered 200 with a whole answer."""
        served = next((c for c in reversed(result.calls) if c.model == result.served), None)
        if served is None or served.status != 200:
            return
        pending = self._pending_for(result.served)
        if pending is None or not pending.on_headers(200, "application/json"):
            return
        pending.feed(result.body if result.body is not None else cheap_body)
        await self._store_answer(pending)

    def interim(self, request: pb.ProcessingRequest) -> pb.ProcessingResponse | None:
        """Before a cascade's verdict (a wait on the second opinion, maybe a strong call): more time from Envoy."""
        if self._cascade is not None and request.WhichOneof("request") == "response_body" and \
                request.response_body.end_of_stream:
            return responses.extend_timeout(self._cascade.plan.budget_seconds)
        return None

    def _cascaded(self, result: CascadeResult) -> pb.ProcessingResponse:
        """Account every call of a cascade, and answer with the served model's body and headers."""
        record = self._record
        record.calls = list(result.calls)
        record.model, record.cascade, record.cascade_reason = result.served, result.outcome, result.reason
        usages = [c.usage for c in result.calls if c.usage is not None]
        record.usage = Usage(sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages)) \
            if usages else None
        record.cost_usd = result.cost_usd
        headers = {
            H.ROUTER_MODEL: result.served,
            H.ROUTER_CASCADE: f"{result.outcome}:{result.reason}",
            H.ROUTER_CALLS: ",".join(f"{c.model}:{c.status or 'none'}" for c in result.calls),
        }
        if record.usage is not None:
            headers[H.ROUTER_USAGE] = f"prompt={record.usage.prompt_tokens},completion={record.usage.completion_tokens}"
        if record.cost_usd is not None:
            headers[H.ROUTER_COST] = f"{record.cost_usd:.8f}"
        log.debug("request %s: cascade %s (%s, doubt %.2f), %d calls", record.request_id, result.outcome,
                  result.reason, result.doubt, len(result.calls))
        return responses.response_body_and_headers(headers, result.body)

    async def _store_answer(self, pending: PendingAnswer) -> None:
        """A whole answer goes to the store before its last chunk reaches the client (so the
        client's next request finds it, on any replica), off the event loop and bounded: a
        slow or dead store delays that chunk by at most its timeout and fails nothing."""
        answer = pending.finished()
        if answer is None:
            return
        work = asyncio.get_running_loop().run_in_executor(None, pending.store, answer)
        try:
            stored = await asyncio.wait_for(work, STORE_WAIT_SECONDS)
        except TimeoutError:
            stored = False
        if not stored:
            self._record.cache_store_errors += 1
