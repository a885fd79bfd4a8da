"""Process resources: the router's memory, threads and file descriptors over a long run, and
Envoy's memory under stalled uploads of the largest body it buffers, against the pod limits."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import threading
import time
from dataclasses import dataclass

import yaml

from bench.reliability.client import openai_shaped, request
from bench.reliability.report import Row
from router_extproc.demo.stack import Stack
from router_extproc.envoy_config.bootstrap import buffer_limit_for

MIB = 1024 * 1024


@dataclass(frozen=True)
class ProcStats:
    rss_mib: float
    peak_mib: float
    threads: int
    fds: int


def proc_stats(pid: int) -> ProcStats:
    fields: dict[str, str] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return ProcStats(int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024,
                     int(fields["Threads"]), fds)


def reset_peak(pid: int) -> None:
    """Start ``VmHWM`` (peak RSS) afresh, so a check reads its own peak (Linux clear_refs)."""
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")


def pod_limits_mib(deployment: pathlib.Path) -> dict[str, float]:
    """Memory limit per container name in deploy/base/deployment.yaml."""
    spec = yaml.safe_load(deployment.read_text())["spec"]["template"]["spec"]
    units = {"Mi": 1, "Gi": 1024}
    out = {}
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        limit = container.get("resources", {}).get("limits", {}).get("memory")
        if limit:
            out[container["name"]] = float(limit[:-2]) * units[limit[-2:]]
    return out


def router_row(before: ProcStats, after: ProcStats, requests: int) -> Row:
    return Row("resources", f"router process over {requests} fuzzed requests", requests,
               f"RSS {before.rss_mib:.0f} → {after.rss_mib:.0f} MiB, threads {before.threads} → {after.threads}, "
               f"fds {before.fds} → {after.fds}",
               "threads and fds flat (±2: a metrics scrape has its own short-lived thread and socket)",
               abs(after.threads - before.threads) <= 2 and abs(after.fds - before.fds) <= 2)


def _wait_unloaded(stack: Stack, timeout: float = 15.0) -> None:
    """Until Envoy's heap pressure is below its first shedding threshold (85%) again, so the next
    check starts clean (the shrink action is always on, so its state says nothing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pressure = stack.envoy.stats("overload.envoy.resource_monitors.fixed_heap.pressure")
        if all(value < 80 for value in pressure.values()):
            return
        time.sleep(0.25)


def stalled_uploads(stack: Stack, count: int, limit_mib: float) -> Row:
    """``count`` chunked uploads of (Envoy's buffer - 64 KiB) that never finish, then a new
    request: Envoy's RSS must stay under the pod limit; past its heap budget it sheds (503)."""
    size = buffer_limit_for(stack.policy) - 64 * 1024
    idle = proc_stats(stack.envoy.proc.pid).rss_mib
    reset_peak(stack.envoy.proc.pid)
    sockets: list[socket.socket] = []
    refused = 0
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % size + b"x" * size + b"\r\n"
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", stack.listener_port), timeout=10)
            try:
                sock.sendall(head + chunk)
                sockets.append(sock)
            except OSError:
                refused += 1
                sock.close()
        time.sleep(1.0)
        stats = proc_stats(stack.envoy.proc.pid)
        probe = request(stack.listener_port, "POST", "/v1/chat/completions",
                        json.dumps({"model": "auto", "messages": [{"role": "user", "content": "hi"}]}).encode(),
                        timeout=10)
    finally:
        for sock in sockets:
            sock.close()
        _wait_unloaded(stack)
    shaped = "OpenAI-shaped" if openai_shaped(probe) else "not OpenAI-shaped"
    return Row("resources", f"Envoy under {count} stalled uploads of {size / MIB:.1f} MiB", count,
               f"peak RSS {stats.peak_mib:.0f} MiB (idle {idle:.0f}, after 1 s {stats.rss_mib:.0f}), "
               f"{len(sockets)} sent, {refused} refused; a new request then: {probe.status} ({shaped})",
               f"peak RSS < pod limit {limit_mib:.0f} MiB", stats.peak_mib < limit_mib)


def max_size_bodies(stack: Stack, count: int, limits_mib: dict[str, float]) -> Row:
    """``count`` bodies just under the policy's limit at once: the peak memory of the router and
    of Envoy (which holds each body twice for a moment: buffered, and in its message to the router)."""
    size = stack.policy.limits.max_body_bytes - 64 * 1024
    words = "explain how the tides depend on the moon and the sun " * (size // 54)
    body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": words}]}).encode()
    before = proc_stats(stack.router.proc.pid)
    reset_peak(stack.router.proc.pid)
    reset_peak(stack.envoy.proc.pid)
    statuses: list[int | None] = []
    threads = [threading.Thread(target=lambda: statuses.append(
        request(stack.listener_port, "POST", "/v1/chat/completions", body, timeout=120).status)) for _ in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    after = proc_stats(stack.router.proc.pid)
    envoy = proc_stats(stack.envoy.proc.pid)
    ok = sum(1 for s in statuses if s == 200)
    others = sorted(str(s) for s in statuses if s != 200)
    return Row("resources", f"router and Envoy under {count} concurrent {size / MIB:.1f} MiB bodies", count,
               f"{ok}/{count} answered 200{' (others: ' + ', '.join(others) + ')' if others else ''} in "
               f"{seconds:.1f} s; peak RSS router {after.peak_mib:.0f} MiB (was {before.rss_mib:.0f}), "
               f"Envoy {envoy.peak_mib:.0f} MiB",
               f"all answered; peaks < pod limits {limits_mib['router']:.0f} / {limits_mib['envoy']:.0f} MiB",
               after.peak_mib < limits_mib["router"] and envoy.peak_mib < limits_mib["envoy"] and ok == count)
