"""``serve --processes N``: each process's command line (ports moved, paths suffixed)."""

from __future__ import annotations

from router_extproc.server.processes import child_args


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
