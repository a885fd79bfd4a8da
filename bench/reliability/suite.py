"""The suite's sections in order, on one stack: sizes come from the caller (the full run of
``make reliability`` or the fast subset in ``make test``)."""

from __future__ import annotations

import compileall
import contextlib
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from bench.reliability import faults, fuzzing, resources, security
from bench.reliability.client import Workers
from bench.reliability.report import Row
from router_extproc.demo.stack import Stack, running_stack

REPO = pathlib.Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "default.yaml"
DEPLOYMENT = REPO / "deploy" / "base" / "deployment.yaml"


@dataclass(frozen=True)
class Sizes:
    fuzz: int = 10_000
    fuzz_required: int = 10_000
    large_bodies: int = 4
    reload_writes: int = 200
    stop_seconds: float = 3.0
    stalled_uploads: int = 12
    overload_uploads: int = 32
    max_size_bodies: int = 12
    cold_starts: int = 3


FAST = Sizes(fuzz=300, fuzz_required=300, large_bodies=1, reload_writes=8, stop_seconds=2.5, stalled_uploads=12,
             overload_uploads=0, max_size_bodies=0, cold_starts=0)


TRACING_ENV = {
    "OTEL_TRACES_EXPORTER": "console",
    "OTEL_BSP_SCHEDULE_DELAY": "200",
    "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG": "0.01",
}
"""Traces printed to the router's log, so the canary grep reads them: 1% of requests, and every
request whose client asks (a sampled ``traceparent``, as the canary requests send)."""


@contextlib.contextmanager
def suite_stack(log_dir: pathlib.Path) -> Iterator[Stack]:
    """The demo stack on a copy of the default policy (the reload storm rewrites it), with the
    router's traces printed to its log (so the canary grep reads them) and a fast watcher.
    The package is byte-compiled first, as the image's wheel install does: a restart measured
    here then costs what it costs in the pod (an editable install under
    PYTHONDONTWRITEBYTECODE recompiles every module on each start)."""
    compileall.compile_dir(REPO / "router_extproc", quiet=1)
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        policy = pathlib.Path(tmp) / "policy.yaml"
        shutil.copy(POLICY, policy)
        with running_stack(policy, log_dir=log_dir, router_args=("--watch-interval", "0.2"),
                           router_env=TRACING_ENV,
                           backend_keep=100_000) as stack:
            yield stack


def warm_up(stack: Stack, requests: int = 40) -> None:
    """Requests before the first measurement: worker threads and connections exist by then."""
    body = b'{"model": "auto", "messages": [{"role": "user", "content": "hello there"}]}'
    Workers(stack.listener_port, 4).run([("POST", "/v1/chat/completions", body, None)] * requests, lambda i, a: None)


def machine_row(load_before: float) -> Row:
    """Timings on a shared machine depend on what else runs: say how busy it was."""
    return Row("context", "machine", os.cpu_count() or 0,
               f"{os.cpu_count()} cores; 1-minute load average {load_before:.1f} at the start, "
               f"{os.getloadavg()[0]:.1f} at the end (the start is before the suite loads it)")


def run(stack: Stack, log_dir: pathlib.Path, sizes: Sizes, progress=print) -> list[Row]:
    limits = resources.pod_limits_mib(DEPLOYMENT)
    load_before = os.getloadavg()[0]
    rows: list[Row] = []
    progress("fuzzing ...")
    warm_up(stack)
    before = resources.proc_stats(stack.router.proc.pid)
    rows += fuzzing.run(stack, sizes.fuzz, large=sizes.large_bodies, required=sizes.fuzz_required)
    rows.append(resources.router_row(before, resources.proc_stats(stack.router.proc.pid),
                                     sizes.fuzz + sizes.large_bodies))
    progress("security ...")
    rows.append(security.path_variants(stack))
    rows.append(security.header_tricks(stack))
    progress("faults ...")
    if sizes.cold_starts:
        rows.append(faults.cold_starts(stack, sizes.cold_starts))
    rows += faults.kill_router(stack)
    rows += faults.stop_router(stack, sizes.stop_seconds)
    rows += faults.reload_storm(stack, sizes.reload_writes)
    canary = security.plant_canaries(stack)  # after the kill: spans still queued would die with it
    progress("resources ...")
    rows.append(resources.stalled_uploads(stack, sizes.stalled_uploads, limits["envoy"]))
    if sizes.max_size_bodies:
        rows.append(resources.max_size_bodies(stack, sizes.max_size_bodies, limits))
    if sizes.overload_uploads:
        rows.append(resources.stalled_uploads(stack, sizes.overload_uploads, limits["envoy"]))
    rows.append(security.canary_grep(stack, canary, log_dir))
    rows.append(security.request_ids(log_dir))
    rows.append(machine_row(load_before))
    return rows
