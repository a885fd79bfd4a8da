"""The ext_proc stream loop: one processor per stream, one answer per message."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import grpc

from .pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from .pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from .processor import Processor

log = logging.getLogger(__name__)

ProcessorFactory = Callable[[], Processor]


class ExternalProcessorService(pb_grpc.ExternalProcessorServicer):
    """``Process`` is the whole protocol: read a phase, answer it, until Envoy closes."""

    def __init__(self, processor_factory: ProcessorFactory) -> None:
        self._processor_factory = processor_factory

    async def Process(  # noqa: N802 - gRPC method name
        self,
        request_iterator: AsyncIterator[pb.ProcessingRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.ProcessingResponse]:
        processor = self._processor_factory()
        async for request in request_iterator:
            response = await processor.process(request)
            if response is not None:
                yield response
