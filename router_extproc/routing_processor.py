"""The LLM routing processor: parse the body, ask the router, apply the choice, account.

Request headers: note method and path; anything that is not a routed OpenAI endpoint is
switched to pass-through (``mode_override``), so Envoy stops sending it to us. Request body:
validate, decide, then set ``x-selected-model`` + ``clear_route_cache`` and rewrite the body.
Response headers: tell the client which decision chose which model, and ask for the body
only where usage can be read (``BUFFERED`` JSON, ``STREAMED`` SSE). Response body: read the
token usage, never change what the client gets (except dropping the usage-only event the
router itself asked for). Stream end: one ``RequestRecord`` to metrics, trace and log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from . import headers as H
from . import responses
from .actions import route_headers, upstream_body
from .errors import (ROUTER_DETAILS_PREFIX, Blocked, RequestError, bad_request, method_not_allowed, too_large,
                     unknown_url, unsupported_encoding)
from .explain import signals_header
from .openai_request import Endpoint, ParsedRequest, decode_json, endpoint_for, parse_body
from .paths import is_routed_path, passes_through
from .pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from .processor import Processor
from .router import RouteOutcome, Router
from .telemetry import RequestRecord, Telemetry
from .telemetry.record import safe_request_id
from .telemetry.throttle import Throttle
from .usage import MAX_USAGE_BODY_BYTES, SseUsageScanner, ask_for_usage, cost_usd, usage_from_json

log = logging.getLogger(__name__)

ProcessingMode = responses.ProcessingMode
_TRACEBACKS = Throttle(60.0)
"""Fail-safe routing logs one line per request; its traceback at most once a minute."""


class RoutingProcessor(Processor):
    def __init__(self, router: Router, telemetry: Telemetry | None = None) -> None:
        self._router = router  # fixed for the whole stream, even across a policy reload
        self._telemetry = telemetry
        self._tracing = telemetry is not None and telemetry.tracing is not None
        self._headers: dict[str, str] = {}
        self._metadata: Mapping[str, str] = {}
        self._outcome: RouteOutcome | None = None
        self._record = RequestRecord(policy_version=router.version)
        self._strip_usage_event = False
        self._sse: SseUsageScanner | None = None
        self._json_parts: list[bytes] | None = None
        self._json_bytes = 0

    # -- stream ------------------------------------------------------------------------------

    def on_stream_start(self, metadata: Mapping[str, str]) -> None:
        self._metadata = metadata

    def on_stream_end(self, error: BaseException | None) -> None:
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
        endpoint = self._record.endpoint
        if endpoint is None:
            return responses.request_body()
        raw = body.body
        if len(raw) > self._router.max_body_bytes:
            return self._refuse(too_large(len(raw), self._router.max_body_bytes), False)
        started = time.perf_counter()
        # parsing, signals and the decision are CPU work: off the event loop
        response = await asyncio.get_running_loop().run_in_executor(None, self._decide, endpoint, raw, started)
        if self._outcome is not None:
            self._record.routed_at = time.perf_counter()
        return response

    def _decide(self, endpoint: Endpoint, raw: bytes, started: float) -> pb.ProcessingResponse:
        stream = False
        request: ParsedRequest | None = None
        record = self._record
        try:
            document = decode_json(raw)
            stream = record.stream = isinstance(document, dict) and document.get("stream") is True
            request = parse_body(endpoint, document, len(raw))
            record.requested_model = request.model if self._router.knows_model(request.model) else "unknown"
            if self._telemetry is not None:
                record.prompt_hash = self._telemetry.prompt_hash(m.text for m in request.messages)
            outcome = self._router.route(request, self._headers)
            forwarded = upstream_body(request, outcome)
            self._strip_usage_event = ask_for_usage(forwarded)
            body_bytes = request.serialize(forwarded)
        except RequestError as error:
            record.router_seconds = time.perf_counter() - started
            return self._refuse(error, stream)
        except Exception as exc:  # a router bug: the request still goes to the local default model
            record.error = type(exc).__name__
            log.error("routing failed for request %s (%s); sent to the default model", record.request_id,
                      record.error, exc_info=_TRACEBACKS.allow())
            return self._fail_safe(request, started)
        self._set_outcome(outcome, started)
        log.debug(
            "request %s: decision=%s model=%s reason=%s signals=%s in %.2f ms",
            record.request_id, outcome.choice.decision, outcome.choice.model, outcome.choice.reason,
            signals_header(outcome.signals), (record.router_seconds or 0) * 1000,
        )
        return responses.request_body(route_headers(outcome, len(body_bytes)), body_bytes, clear_route_cache=True)

    def _set_outcome(self, outcome: RouteOutcome, started: float) -> None:
        self._outcome = outcome
        record = self._record
        record.decision, record.model, record.reason = outcome.choice.decision, outcome.choice.model, outcome.choice.reason
        record.signals = outcome.signals
        record.shadowed = outcome.choice.shadowed
        record.router_seconds = time.perf_counter() - started

    def _fail_safe(self, request: ParsedRequest | None, started: float) -> pb.ProcessingResponse:
        """The policy's default model (always local), the body untouched but for its model id."""
        outcome = self._router.default_outcome("router-error")
        self._set_outcome(outcome, started)
        self._record.failed_safe = True
        self._strip_usage_event = False
        if request is None:
            return responses.request_body(route_headers(outcome, None), None, clear_route_cache=True)
        body_bytes = request.serialize(request.body | {"model": outcome.model.provider_model_id})
        return responses.request_body(route_headers(outcome, len(body_bytes)), body_bytes, clear_route_cache=True)

    def _refuse(self, error: RequestError, stream: bool) -> pb.ProcessingResponse:
        log.info("request %s refused: %s %s", self._record.request_id, error.status, error.code or error.type)
        reason = error.code or error.type
        if isinstance(error, Blocked):
            self._record.blocked_reason = reason
            self._record.decision = error.decision
            self._record.signals = error.signals
            self._record.shadowed = error.shadowed
        else:
            self._record.refused_code = reason
            self._record.decision = "refused"
        self._record.status = error.status
        self.exchange_complete = True
        body, content_type = error.render(stream)
        headers = {H.CONTENT_TYPE: content_type, H.ROUTER_DECISION: "refused", H.ROUTER_REASON: reason}
        if isinstance(error, Blocked):
            headers[H.ROUTER_SIGNALS] = signals_header(error.signals, error.shadowed)
        return responses.immediate(error.status, body, headers, details=ROUTER_DETAILS_PREFIX + reason)

    # -- response ----------------------------------------------------------------------------

    async def on_response_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        if self._outcome is None:  # Envoy's own reply (its 413) before a decision: nothing more to do
            self.exchange_complete = True
            return responses.response_headers()
        record = self._record
        now = time.perf_counter()
        if record.routed_at is not None:
            record.ttfb_seconds = now - record.routed_at
        values = responses.headers_to_dict(headers.headers)
        status = values.get(H.STATUS, "")
        record.status = int(status) if status.isdigit() else None
        mode = self._body_mode(values, headers.end_of_stream)
        if headers.end_of_stream or mode.response_body_mode == ProcessingMode.NONE:
            self._finish_response(now)
        return responses.response_headers(
            {
                H.ROUTER_DECISION: self._outcome.choice.decision,
                H.ROUTER_MODEL: self._outcome.choice.model,
                H.ROUTER_REASON: self._outcome.choice.reason,
                H.ROUTER_SIGNALS: signals_header(self._outcome.signals, self._outcome.choice.shadowed),
                H.ROUTER_POLICY: self._router.version,
            },
            mode_override=mode,
        )

    def _body_mode(self, values: Mapping[str, str], end_of_stream: bool) -> ProcessingMode:
        """Ask for the response body only where it carries usage: SSE streamed, chunk by
        chunk; JSON buffered whole (or streamed and joined when its length is unknown)."""
        record = self._record
        content_type = values.get(H.CONTENT_TYPE, "").split(";", 1)[0].strip().lower()
        ok = record.status is not None and 200 <= record.status < 300
        if end_of_stream or not ok:
            return responses.response_body_mode(ProcessingMode.NONE)
        if content_type == "text/event-stream":
            record.usage_expected = True
            self._sse = SseUsageScanner(strip_usage_event=self._strip_usage_event)
            return responses.response_body_mode(ProcessingMode.STREAMED)
        if content_type == "application/json":
            length = values.get(H.CONTENT_LENGTH, "")
            if length.isdigit() and int(length) > MAX_USAGE_BODY_BYTES:
                return responses.response_body_mode(ProcessingMode.NONE)
            record.usage_expected = True
            self._json_parts = []
            known = length.isdigit()
            return responses.response_body_mode(ProcessingMode.BUFFERED if known else ProcessingMode.STREAMED)
        return responses.response_body_mode(ProcessingMode.NONE)

    async def on_response_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        record = self._record
        now = time.perf_counter()
        replacement: bytes | None = None
        if self._sse is not None:
            if record.first_chunk_seconds is None and record.routed_at is not None and body.body:
                record.first_chunk_seconds = now - record.routed_at
            replacement = self._sse.feed(body.body)
        elif self._json_parts is not None:
            self._json_bytes += len(body.body)
            if self._json_bytes <= MAX_USAGE_BODY_BYTES:
                self._json_parts.append(body.body)
            else:
                self._json_parts = None
        if body.end_of_stream:
            self._finish_response(now)
        return responses.response_body(replacement)

    def _finish_response(self, now: float) -> None:
        self.exchange_complete = True
        record = self._record
        if record.routed_at is not None:
            record.upstream_seconds = now - record.routed_at
        if self._sse is not None:
            record.usage = self._sse.usage
        elif self._json_parts:
            record.usage = usage_from_json(b"".join(self._json_parts))
        self._json_parts = None
        if record.usage is not None and self._outcome is not None:
            record.cost_usd = cost_usd(self._outcome.model, record.usage)
