"""The per-phase processor interface with a pass-through default.

One processor object is created per ext_proc stream (one HTTP request) and holds that
request's state. Subclasses override only the phases they care about; an exception in a
hook never breaks the gRPC stream: it is logged and the phase passes through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from router_extproc.extproc import responses
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb

log = logging.getLogger(__name__)


class Processor:
    """Pass-through for every phase: Envoy continues as if the router were not there."""

    exchange_complete = False
    """True once the processor has seen every message it asked for; Envoy may then cancel
    the stream instead of closing it, which is not an error."""

    def on_stream_start(self, metadata: Mapping[str, str]) -> None:
        """The stream opened; ``metadata`` is its gRPC metadata (Envoy's trace context)."""

    def on_stream_end(self, error: BaseException | None) -> None:
        """The stream closed, after its last message (``error`` if it broke or was reset): account here."""

    async def on_request_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        return responses.request_headers()

    async def on_request_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        return responses.request_body()

    async def on_request_trailers(self, trailers: pb.HttpTrailers) -> pb.ProcessingResponse:
        return responses.request_trailers()

    async def on_response_headers(self, headers: pb.HttpHeaders) -> pb.ProcessingResponse:
        return responses.response_headers()

    async def on_response_body(self, body: pb.HttpBody) -> pb.ProcessingResponse:
        return responses.response_body()

    async def on_response_trailers(self, trailers: pb.HttpTrailers) -> pb.ProcessingResponse:
        return responses.response_trailers()

    def interim(self, request: pb.ProcessingRequest) -> pb.ProcessingResponse | None:
        """A message to send before this request's answer (e.g. extending Envoy's timer for a long wait)."""
        return None

    async def process(self, request: pb.ProcessingRequest) -> pb.ProcessingResponse | None:
        """Dispatch one message to its hook; None when Envoy expects no answer."""
        phase = request.WhichOneof("request")
        if phase is None:
            log.warning("ProcessingRequest without a phase; ignored")
            return None
        hook = getattr(self, f"on_{phase}")
        try:
            response = await hook(getattr(request, phase))
        except Exception:
            log.exception("%s hook failed; passing the phase through", phase)
            response = await getattr(Processor, f"on_{phase}")(self, getattr(request, phase))
        # In observability mode Envoy does not wait for (and ignores) answers.
        return None if request.observability_mode else response
