"""``serve --processes N``: each process's command line (ports moved, paths suffixed)."""

from __future__ import annotations

from router_extproc.server.processes import child_args, child_env
from router_extproc.signals.jailbreak.second_stage import THREADS_ENV


def test_each_process_gets_its_own_ports_and_files() -> None:
    argv = ["--log-level", "info", "serve", "--policy", "p.yaml", "--port", "50051", "--metrics-port=9100",
            "--decision-log", "/var/log/d.jsonl", "--processes", "3", "--redis-url", "redis://h:1/0"]
    first, third = child_args(argv, 0), child_args(argv, 2)
    assert first == ["--log-level", "info", "serve", "--policy", "p.yaml", "--port", "50051", "--metrics-port", "9100",
                     "--decision-log", "/var/log/d.jsonl", "--redis-url", "redis://h:1/0", "--processes", "1"]
    assert third[third.index("--port") + 1] == "50053" and third[third.index("--metrics-port") + 1] == "9102"
    assert third[third.index("--decision-log") + 1] == "/var/log/d.jsonl.2"
    assert child_args(["serve", "--unix-socket", "/run/r.sock", "--processes=2"], 1) == \
        ["serve", "--unix-socket", "/run/r.sock.1", "--processes", "1"]


def test_each_process_runs_the_second_stage_on_one_thread_unless_told() -> None:
    assert child_env({"PATH": "/bin"}) == {"PATH": "/bin", THREADS_ENV: "1"}
    assert child_env({THREADS_ENV: "2"})[THREADS_ENV] == "2"
