"""Shared pieces of the benchmarks: keep-alive HTTP clients and latency summaries."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Summary:
    name: str
    count: int
    errors: int
    p50_ms: float
    p99_ms: float
    rps: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(name: str, port: int, path: str, body: bytes | Callable[[int], bytes], requests: int, concurrency: int,
             headers: dict[str, str] | None = None, on_failure: Callable[[str], None] | None = None) -> Summary:
    """``requests`` POSTs spread over ``concurrency`` keep-alive connections; ``body`` may be a
    function of the request's number. A request that fails to connect or read is an error."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_worker = requests // concurrency
    all_headers = {"content-type": "application/json", **(headers or {})}

    def worker(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        bad = 0
        for n in range(per_worker):
            started = time.perf_counter()
            data = body(offset + n) if callable(body) else body
            try:
                conn.request("POST", path, body=data, headers=all_headers)
                reply = conn.getresponse()
                data = reply.read()
                if reply.status != 200:
                    bad += 1
                    if on_failure is not None:
                        on_failure(f"{reply.status} {data[:120]!r}")
            except (OSError, http.client.HTTPException) as exc:
                bad += 1
                if on_failure is not None:
                    on_failure(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(local)
            errors += bad

    threads = [threading.Thread(target=worker, args=(i * per_worker,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return Summary(name, len(latencies), errors, statistics.median(latencies), percentile(latencies, 0.99),
                   len(latencies) / elapsed)


def print_table(rows: list[Summary]) -> None:
    print("| path | requests | errors | p50 ms | p99 ms | req/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.count} | {r.errors} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.rps:.0f} |")
