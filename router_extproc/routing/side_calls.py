"""The router's own calls to models, back through Envoy's internal listener.

A cascade's second opinion and its strong answer are requests the router makes itself. They go
through Envoy (a loopback listener that clients cannot reach and that has no ext_proc, so a side
call is never routed again): Envoy still picks the endpoint, applies the cluster's timeouts and
connection limits and counts the call in its stats. The calls are blocking ``http.client``
requests on a small thread pool of their own (bounded: they never take the threads that parse
and decide), awaited from the event loop.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from router_extproc import headers as H

CASCADE_HEADER = "x-router-cascade"
"""Set on the router's side calls (the stage: ``second`` or ``strong``); the public listener strips a client's copy."""


@dataclass(frozen=True)
class SideReply:
    status: int | None
    """None: no answer (connection refused, timeout)."""
    body: bytes
    seconds: float


class SideCaller:
    """Calls one model through Envoy's internal listener at ``host:port``."""

    def __init__(self, host: str, port: int, max_in_flight: int = 16) -> None:
        self.host, self.port = host, port
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="router-side-call")

    @classmethod
    def parse(cls, address: str) -> SideCaller:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--internal-listener wants HOST:PORT, got {address!r}")
        return cls(host, int(port))

    async def call(self, model: str, path: str, body: bytes, stage: str, timeout: float) -> SideReply:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, model, path, body, stage, timeout)

    def _call(self, model: str, path: str, body: bytes, stage: str, timeout: float) -> SideReply:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers={
                H.CONTENT_TYPE: "application/json", H.SELECTED_MODEL: model, CASCADE_HEADER: stage})
            reply = conn.getresponse()
            return SideReply(reply.status, reply.read(), time.perf_counter() - started)
        except (OSError, http.client.HTTPException):
            return SideReply(None, b"", time.perf_counter() - started)
        finally:
            conn.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
