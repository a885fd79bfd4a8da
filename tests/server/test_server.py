"""Server lifecycle: health, message size limits, graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from router_extproc.demo.stack import RouterProcess, free_port
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings, serve
from router_extproc.server.state import RouterState
from tests.helpers import chat, request_body_msg, request_headers_msg, set_headers


async def test_health_serving_then_not_serving_on_stop(default_router: Router) -> None:
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(default_router))
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "envoy.service.ext_proc.v3.ExternalProcessor"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await server.health.enter_graceful_shutdown()
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""))
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    await server.stop()


async def test_messages_above_grpc_default_4mib_are_accepted(default_router: Router) -> None:
    server = RouterServer(ServerSettings(port=0, max_message_bytes=16 * 1024 * 1024), RouterState(default_router))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{server.bound_port}", options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)]
        ) as channel:
            call = pb_grpc.ExternalProcessorStub(channel).Process()
            await call.write(request_headers_msg())
            await call.read()
            await call.write(request_body_msg(chat("x " * (3 * 1024 * 1024))))
            reply = await call.read()
            # the 6 MiB body arrived whole and was decided. Either the gates finished (too long for the
            # default policy's jailbreak gate to read, so its on_error, block, refuses it in the API's
            # shape) or, on a slow machine, the router's deadline passed first and the request went to
            # the local default model: both are answers, neither is a gRPC size error.
            if reply.HasField("immediate_response"):
                assert reply.immediate_response.status.code == 403
                assert "jailbreak=1:error" in set_headers(reply.immediate_response.headers)["x-router-signals"]
            else:
                routed = set_headers(reply.request_body.response.header_mutation)
                assert routed["x-selected-model"] == default_router.policy.default_model
            await call.done_writing()
    finally:
        await server.stop()


async def test_second_server_on_same_port_fails(default_router: Router) -> None:
    first = RouterServer(ServerSettings(port=0), RouterState(default_router))
    await first.start()
    try:
        with pytest.raises((OSError, RuntimeError)):
            second = RouterServer(ServerSettings(port=first.bound_port), RouterState(default_router))
            await second.start()
    finally:
        await first.stop()


def test_sigterm_finishes_in_flight_stream_and_exits_cleanly(default_policy_path, tmp_path) -> None:
    router = RouterProcess(default_policy_path, log_path=tmp_path / "router.log").start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{router.port}") as channel:
            stub = pb_grpc.ExternalProcessorStub(channel)
            outbox: list = [request_headers_msg()]
            sent_body = False

            def requests():
                nonlocal sent_body
                yield outbox.pop()
                while not outbox:
                    time.sleep(0.01)
                sent_body = True
                yield outbox.pop()

            replies = stub.Process(requests())
            first = next(replies)
            assert first.WhichOneof("response") == "request_headers"
            router.proc.send_signal(signal.SIGTERM)  # the stream is in flight
            time.sleep(0.3)
            outbox.append(request_body_msg(chat("python please")))
            second = next(replies)
            assert sent_body
            assert set_headers(second.request_body.response.header_mutation)["x-selected-model"] == "large"
        assert router.proc.wait(10) == 0
        log = (tmp_path / "router.log").read_text()
        assert "draining in-flight streams" in log and "router stopped" in log
        # and it no longer accepts streams
        with pytest.raises(grpc.RpcError), grpc.insecure_channel(f"127.0.0.1:{router.port}") as channel:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    finally:
        router.stop()


def test_serve_with_invalid_policy_exits_2_naming_the_field(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndefault_model: a\nmodels: {}\n")
    proc = subprocess.run([sys.executable, "-m", "router_extproc", "serve", "--policy", str(bad)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "models" in proc.stderr and "bad.yaml" in proc.stderr


async def test_health_port_is_not_serving_until_the_models_are_loaded(default_router) -> None:
    loaded = threading.Event()

    def slow_load() -> RouterState:
        loaded.wait(10)  # stands in for the encoder and heads loading
        return RouterState(default_router)

    health_port, stop = free_port(), asyncio.Event()
    settings = ServerSettings(port=0, grace_seconds=1, health_port=health_port, metrics_port=free_port())
    task = asyncio.create_task(serve(settings, slow_load, stop=stop))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{health_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(100):  # the health port opens before loading starts
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                break
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.05)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
        loaded.set()
        for _ in range(100):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.05)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        # the health port serves health only: the ext_proc service is not reachable there. The call's
        # status is read without writing first: a write racing the server's immediate refusal fails
        # on the client's side with INTERNAL instead of carrying the server's answer.
        call = pb_grpc.ExternalProcessorStub(channel).Process()
        assert await asyncio.wait_for(call.code(), 5) == grpc.StatusCode.UNIMPLEMENTED
    stop.set()
    await asyncio.wait_for(task, 10)
