"""The upstream filter's ext_proc streams: a fallback attempt carries its own model's id.

Envoy retries a failed call of a fallback chain on the chain's next model (``envoy_config/
fallback.py``). The retried body still names the first model's provider id, which the next
model's server would answer with 404; this processor, called by the ext_proc filter on the chain
cluster once per attempt, rewrites the body's ``model`` for attempts after the first (from
``x-envoy-attempt-count`` and the chain in ``x-router-fallback``). The first attempt costs one
headers message and passes its body untouched.
"""

from __future__ import annotations

import logging

import orjson

from router_extproc import headers as H
from router_extproc.endpoints import serialize, spec
from router_extproc.endpoints.paths import endpoint_for
from router_extproc.extproc import responses
from router_extproc.extproc.processor import Processor
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.routing.router import Router

log = logging.getLogger(__name__)
ATTEMPT_COUNT = "x-envoy-attempt-count"


class UpstreamProcessor(Processor):
    def __init__(self, router: Router) -> None:
        self._router = router
        self._model: str | None = None
        self._endpoint: str | None = None

    async def on_request_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        values = responses.headers_to_dict(headers.headers)
        attempt = values.get(ATTEMPT_COUNT, "1")
        chain = self._router.fallbacks.get(values.get(H.ROUTER_FALLBACK, ""))
        model = chain.served_by(int(attempt)) if chain is not None and attempt.isdigit() else None
        endpoint = endpoint_for(values.get(H.METHOD, ""), values.get(H.PATH, ""))
        if model is None or int(attempt) <= 1 or endpoint is None or headers.end_of_stream:
            self.exchange_complete = True
            return responses.request_headers(mode_override=responses.pass_through_mode())
        self._model, self._endpoint = model, endpoint
        log.info("fallback attempt %s of chain %s: model %s", attempt, chain.id if chain else "-", model)
        return responses.request_headers({H.SELECTED_MODEL: model})

    async def on_request_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        self.exchange_complete = True
        if self._model is None or self._endpoint is None:
            return responses.request_body()
        try:
            document = orjson.loads(body.body)
        except orjson.JSONDecodeError:
            return responses.request_body()
        if not isinstance(document, dict):
            return responses.request_body()
        spec(self._endpoint).set_model(document, self._router.policy.models[self._model].provider_model_id)
        data = serialize(document)
        return responses.request_body({H.CONTENT_LENGTH: str(len(data))}, data)
