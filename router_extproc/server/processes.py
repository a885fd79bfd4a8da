"""``serve --processes N``: N router processes behind one Envoy (its ext_proc cluster has N
endpoints, ``render-envoy --router-processes N``).

The work is GIL-bound Python, so one process uses about one core; more processes use more
cores. Process ``i`` listens on ``port + i`` (or ``unix_socket.i`` after the first) and, when
set, on ``metrics_port + i`` and ``health_port + i``, and writes ``decision_log.i``. They share
the cache and session store only through Redis (``store.backend: redis``); with the memory
backend each process has its own. The supervisor forwards SIGTERM/SIGINT and exits with the
worst exit status.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from router_extproc.signals.jailbreak.second_stage import THREADS_ENV

NUMBERED = ("--port", "--metrics-port", "--health-port")


def child_args(argv: Sequence[str], index: int) -> list[str]:
    """The command line of process ``index``: ports moved by ``index``, paths suffixed."""
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        name, eq, value = item.partition("=")
        takes = name in (*NUMBERED, "--unix-socket", "--decision-log", "--processes")
        if takes and not eq and i + 1 < len(items):
            value, i = items[i + 1], i + 1
        if name == "--processes" and takes:
            pass
        elif name in NUMBERED and takes:
            out += [name, str(int(value) + index)]
        elif name in ("--unix-socket", "--decision-log") and takes:
            out += [name, value + (f".{index}" if index else "")]
        else:
            out.append(item)
        i += 1
    return [*out, "--processes", "1"]


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Each process's environment: the supervisor's, with one second-stage thread unless set
    (each process gets one thread, as it gets one core)."""
    return {**environ, THREADS_ENV: environ.get(THREADS_ENV, "1")}


def supervise(argv: Sequence[str], processes: int) -> int:
    """Run ``processes`` router processes until a signal; returns the worst exit status."""
    env = child_env(os.environ)
    children = [subprocess.Popen([sys.executable, "-m", "router_extproc", *child_args(argv, i)], env=env)
                for i in range(processes)]

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    codes = [child.wait() for child in children]
    return max(codes, key=abs)
