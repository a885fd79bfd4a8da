"""Server lifecycle: a grpc.aio server with the ext_proc and health services.

Separate from request logic (KServe's layout): options (message sizes, no SO_REUSEPORT),
health status, and a graceful stop that refuses new streams and lets in-flight ones
finish within a bounded grace period. ``serve`` opens the health port first and reports
NOT_SERVING until the policy's models (encoder, heads) are loaded, so a readiness probe
cannot pass before the router can decide.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from router_extproc.cache.runtime import CacheRuntime
from router_extproc.extproc.routing_processor import RoutingProcessor
from router_extproc.extproc.servicer import ExternalProcessorService
from router_extproc.extproc.upstream_processor import UpstreamProcessor
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.routing.side_calls import SideCaller
from router_extproc.server.state import RouterState
from router_extproc.server.watcher import PolicyWatcher
from router_extproc.telemetry import RouterMetrics, Telemetry

log = logging.getLogger(__name__)

EXT_PROC_SERVICE = pb.DESCRIPTOR.services_by_name["ExternalProcessor"].full_name


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 50051
    unix_socket: str | None = None
    max_message_bytes: int = 32 * 1024 * 1024
    """gRPC's default of 4 MiB is below the bodies Envoy buffers for us: raise it."""
    grace_seconds: float = 10.0
    worker_threads: int = 2
    """Threads for parsing, signals and decisions. Two beat sixteen under load here: the work
    is GIL-bound Python (bench/signals.py: 1145 vs 883 req/s with 16 requests in flight)."""
    internal_listener: str | None = None
    """``host:port`` of Envoy's internal listener: the router's own calls to models (cascades)."""
    health_port: int | None = None
    """A port serving only gRPC health (kubelet probes reach the pod IP, not loopback or a
    Unix socket); NOT_SERVING until the models are loaded."""
    health_host: str = "127.0.0.1"
    metrics_port: int | None = None
    """Prometheus ``/metrics``, on its own port."""
    metrics_host: str = "127.0.0.1"
    redis_url: str | None = None
    """The Redis a policy with ``store.backend: redis`` shares with every replica."""

    @property
    def address(self) -> str:
        return f"unix:{self.unix_socket}" if self.unix_socket else f"{self.host}:{self.port}"


def _grpc_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", 0),  # a second server on a busy port must fail, not share it
    ]


class RouterServer:
    def __init__(
        self,
        settings: ServerSettings,
        state: RouterState,
        telemetry: Telemetry | None = None,
        health_servicer: health.aio.HealthServicer | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.telemetry = telemetry
        self.health = health_servicer or health.aio.HealthServicer()
        self._server = grpc.aio.server(options=_grpc_options(settings.max_message_bytes))
        metrics = telemetry.metrics if telemetry else None
        self.side_caller = SideCaller.parse(settings.internal_listener) if settings.internal_listener else None
        self.caches = CacheRuntime(settings.redis_url)
        service = ExternalProcessorService(
            lambda: RoutingProcessor(self.state.current(), telemetry, self.side_caller, self.caches), metrics,
            upstream_factory=lambda: UpstreamProcessor(self.state.current()))
        pb_grpc.add_ExternalProcessorServicer_to_server(service, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        self.bound_port: int | None = None

    async def start(self) -> None:
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(self.settings.worker_threads, thread_name_prefix="router-work")
        )
        port = self._server.add_insecure_port(self.settings.address)
        if not self.settings.unix_socket and port == 0:
            raise OSError(f"cannot bind {self.settings.address}")
        self.bound_port = port
        await self._server.start()
        for service in ("", EXT_PROC_SERVICE):
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("router listening on %s (policy %s)", self.settings.address, self.state.current().policy.name)

    async def stop(self) -> None:
        """Report NOT_SERVING, refuse new streams, let in-flight ones finish (bounded)."""
        await self.health.enter_graceful_shutdown()
        await self._server.stop(self.settings.grace_seconds)
        if self.side_caller is not None:
            self.side_caller.close()
        self.caches.close()
        log.info("router stopped")

    async def wait(self) -> None:
        await self._server.wait_for_termination()


class HealthOnlyServer:
    """The health service alone on its own port (for probes), sharing the main servicer."""

    def __init__(self, address: str, servicer: health.aio.HealthServicer) -> None:
        self._server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(servicer, self._server)
        self.port = self._server.add_insecure_port(address)
        if self.port == 0:
            raise OSError(f"cannot bind health port {address}")

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop(1)


StateLoader = Callable[[], RouterState]
TelemetryFactory = Callable[[RouterState], Telemetry]


async def serve(
    settings: ServerSettings,
    load_state: StateLoader,
    make_telemetry: TelemetryFactory | None = None,
    make_watcher: Callable[[RouterState], PolicyWatcher | None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Load, serve until SIGTERM or SIGINT, then stop gracefully.

    The health port (if any) answers NOT_SERVING while ``load_state`` builds the router in a
    thread; ``make_watcher`` hot-reloads the policy; telemetry is flushed on the way out.
    ``stop`` replaces SIGTERM/SIGINT when the server is embedded (tests).
    """
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    health_servicer = health.aio.HealthServicer()
    for service in ("", EXT_PROC_SERVICE):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
    health_server: HealthOnlyServer | None = None
    if settings.health_port is not None:
        health_server = HealthOnlyServer(f"{settings.health_host}:{settings.health_port}", health_servicer)
        await health_server.start()
        log.info("health on %s:%d (NOT_SERVING while loading)", settings.health_host, health_server.port)
    started = loop.time()
    state = await asyncio.to_thread(load_state)
    log.info("policy %r and its models loaded in %.1fs", state.current().policy.name, loop.time() - started)
    telemetry = make_telemetry(state) if make_telemetry else Telemetry(RouterMetrics(state))
    metrics_server = None
    if settings.metrics_port is not None and telemetry.metrics is not None:
        metrics_server = telemetry.metrics.serve(settings.metrics_port, settings.metrics_host)
    server = RouterServer(settings, state, telemetry, health_servicer)
    await server.start()
    watcher = make_watcher(state) if make_watcher else None
    if watcher is not None:
        watcher.start()
    await stop.wait()
    log.info("signal received: draining in-flight streams (grace %.1fs)", settings.grace_seconds)
    if watcher is not None:
        await watcher.stop()
    await server.stop()
    telemetry.close()
    if metrics_server is not None:
        metrics_server.stop()
    if health_server is not None:
        await health_server.stop()
