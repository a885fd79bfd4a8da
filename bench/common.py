"""Shared pieces of the benchmarks: keep-alive HTTP clients and latency summaries."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
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


def run_load(name: str, port: int, path: str, body: bytes, requests: int, concurrency: int) -> Summary:
    """``requests`` POSTs spread over ``concurrency`` keep-alive connections."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_worker = requests // concurrency

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        bad = 0
        for _ in range(per_worker):
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers={"content-type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            local.append((time.perf_counter() - started) * 1000)
            bad += reply.status != 200
        conn.close()
        with lock:
            latencies.extend(local)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
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
