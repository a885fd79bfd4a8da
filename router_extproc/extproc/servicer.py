"""The ext_proc stream loop: one processor per stream, one answer per message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import grpc

from router_extproc.extproc.processor import Processor
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.telemetry.metrics import RouterMetrics

log = logging.getLogger(__name__)

ProcessorFactory = Callable[[], Processor]


class ExternalProcessorService(pb_grpc.ExternalProcessorServicer):
    """``Process`` is the whole protocol: read a phase, answer it, until Envoy closes."""

    def __init__(self, processor_factory: ProcessorFactory, metrics: RouterMetrics | None = None,
                 upstream_factory: ProcessorFactory | None = None) -> None:
        self._processor_factory = processor_factory
        self._metrics = metrics
        self._upstream_factory = upstream_factory
        """Processors for the upstream filter's streams (gRPC metadata ``x-router-stage: upstream``)."""

    async def Process(
        self,
        request_iterator: AsyncIterator[pb.ProcessingRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.ProcessingResponse]:
        metadata = {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}
        upstream = self._upstream_factory is not None and metadata.get("x-router-stage") == "upstream"
        processor = self._upstream_factory() if upstream and self._upstream_factory else self._processor_factory()
        processor.on_stream_start(metadata)
        error: BaseException | None = None
        answering = False
        """True while Envoy waits on the router: a reset then is the router's failure (too slow,
        broken); a reset while the router waits on Envoy is the request's (client gone, a
        malformed body Envoy refused itself)."""
        if self._metrics is not None:
            self._metrics.streams.inc()
            self._metrics.streams_active.inc()
        try:
            async for request in request_iterator:
                answering = True
                interim = processor.interim(request)
                if interim is not None:
                    yield interim
                response = await processor.process(request)
                if response is not None:
                    yield response
                answering = False
            if not processor.exchange_complete:
                # Envoy reset the stream (client gone, timeout): grpc.aio just ends the iterator
                error = asyncio.CancelledError()
        except BaseException as exc:  # cancelled by Envoy, or the transport broke
            error = exc
            raise
        finally:
            if self._metrics is not None:
                self._metrics.streams_active.dec()
                if error is not None and not processor.exchange_complete:
                    if answering:
                        self._metrics.stream_errors.labels(_status_name(error)).inc()
                    else:
                        self._metrics.streams_abandoned.inc()
            try:
                processor.on_stream_end(error)
            except Exception:
                log.exception("stream end accounting failed")


def _status_name(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        return "CANCELLED"
    if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
        code = exc.code()
        return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
    return "INTERNAL"
