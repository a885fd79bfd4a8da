"""The LLM routing processor: parse the body, ask the router, apply the choice.

Headers phase: note method and path; anything that is not a routed OpenAI endpoint is
switched to pass-through (``mode_override``), so Envoy stops sending it to us. Body phase:
validate, decide, then set ``x-selected-model`` + ``clear_route_cache`` and rewrite the body's
``model``. Response headers: tell the client which decision chose which model.
"""

from __future__ import annotations

import asyncio
import logging
import time

from . import headers as H
from . import responses
from .actions import route_headers, upstream_body
from .explain import signals_header
from .errors import ROUTER_DETAILS_PREFIX, RequestError, bad_request, too_large
from .openai_request import Endpoint, ParsedRequest, decode_json, endpoint_for, parse_body
from .pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from .processor import Processor
from .router import RouteOutcome, Router

log = logging.getLogger(__name__)


class RoutingProcessor(Processor):
    def __init__(self, router: Router) -> None:
        self._router = router  # fixed for the whole stream, even across a policy reload
        self._endpoint: Endpoint | None = None
        self._request_id = "-"
        self._headers: dict[str, str] = {}
        self._outcome: RouteOutcome | None = None

    async def on_request_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        values = responses.headers_to_dict(headers.headers)
        self._headers = values
        self._request_id = values.get(H.REQUEST_ID, "-")
        self._endpoint = endpoint_for(values.get(H.METHOD, ""), values.get(H.PATH, ""))
        if self._endpoint is None:
            return responses.request_headers(mode_override=responses.pass_through_mode())
        if headers.end_of_stream:
            return self._refuse(bad_request("Request body is empty; expected a JSON object.", code="missing_body"), False)
        declared = values.get(H.CONTENT_LENGTH, "")
        if declared.isdigit() and int(declared) > self._router.max_body_bytes:
            return self._refuse(too_large(int(declared), self._router.max_body_bytes), False)
        return responses.request_headers()

    async def on_request_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        if self._endpoint is None:
            return responses.request_body()
        raw = body.body
        if len(raw) > self._router.max_body_bytes:
            return self._refuse(too_large(len(raw), self._router.max_body_bytes), False)
        started = time.perf_counter()
        # parsing, signals and the decision are CPU work: off the event loop
        return await asyncio.get_running_loop().run_in_executor(None, self._decide, self._endpoint, raw, started)

    def _decide(self, endpoint: Endpoint, raw: bytes, started: float) -> pb.ProcessingResponse:
        stream = False
        request: ParsedRequest | None = None
        try:
            document = decode_json(raw)
            stream = isinstance(document, dict) and document.get("stream") is True
            request = parse_body(endpoint, document, len(raw))
            outcome = self._router.route(request, self._headers)
            body_bytes = request.serialize(upstream_body(request, outcome))
        except RequestError as error:
            return self._refuse(error, stream)
        except Exception:
            log.exception("routing failed for request %s; sending it to the default model", self._request_id)
            return self._fail_safe(request)
        self._outcome = outcome
        set_headers = route_headers(outcome, len(body_bytes))
        log.debug(
            "request %s: decision=%s model=%s reason=%s signals=%s in %.2f ms",
            self._request_id,
            outcome.choice.decision,
            outcome.choice.model,
            outcome.choice.reason,
            signals_header(outcome.signals),
            (time.perf_counter() - started) * 1000,
        )
        return responses.request_body(set_headers, body_bytes, clear_route_cache=True)

    def _fail_safe(self, request: ParsedRequest | None) -> pb.ProcessingResponse:
        """The policy's default model (always local), the body untouched but for its model id."""
        outcome = self._router.default_outcome("router-error")
        self._outcome = outcome
        if request is None:
            return responses.request_body(route_headers(outcome, None), None, clear_route_cache=True)
        body_bytes = request.serialize(request.body | {"model": outcome.model.provider_model_id})
        return responses.request_body(route_headers(outcome, len(body_bytes)), body_bytes, clear_route_cache=True)

    async def on_response_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        if self._outcome is None:
            return responses.response_headers()
        return responses.response_headers(
            {
                H.ROUTER_DECISION: self._outcome.choice.decision,
                H.ROUTER_MODEL: self._outcome.choice.model,
                H.ROUTER_REASON: self._outcome.choice.reason,
                H.ROUTER_SIGNALS: signals_header(self._outcome.signals),
                H.ROUTER_POLICY: self._router.version,
            }
        )

    def _refuse(self, error: RequestError, stream: bool) -> pb.ProcessingResponse:
        log.info("request %s refused: %s %s", self._request_id, error.status, error.code or error.type)
        body, content_type = error.render(stream)
        return responses.immediate(
            error.status,
            body,
            {H.CONTENT_TYPE: content_type, H.ROUTER_DECISION: "refused", H.ROUTER_REASON: error.code or error.type},
            details=ROUTER_DETAILS_PREFIX + (error.code or error.type),
        )
