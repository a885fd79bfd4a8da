"""Memory of the router and Envoy processes, idle and after load: what deploy/ requests.

Starts the demo stack (real Envoy, router process, demo backends), reads VmRSS / VmHWM
(peak) from /proc after start-up and after sustained load with short and long prompts
(16 in flight), and prints a table.

    python bench/memory.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from common import run_load

from router_extproc.demo.stack import running_stack

REPO = pathlib.Path(__file__).resolve().parent.parent


def memory_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MiB."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def body(words: int) -> bytes:
    text = " ".join(["explain how the tides depend on the moon and the sun"] * (words // 10))
    return json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]}).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default=str(REPO / "policies" / "default.yaml"))
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    rows = []
    with running_stack(pathlib.Path(args.policy)) as stack:
        pids = {"router": stack.router.proc.pid, "envoy": stack.envoy.proc.pid}
        rows += [("after start-up", name, *memory_mib(pid)) for name, pid in pids.items()]
        for words in (20, 3000):
            run_load("load", stack.listener_port, "/v1/chat/completions", body(words), args.requests, 16)
        rows += [(f"after {2 * args.requests} requests (20 and 3000 words, 16 in flight)", name, *memory_mib(pid))
                 for name, pid in pids.items()]
    print(f"\nprocess memory, policy {pathlib.Path(args.policy).name}\n")
    print("| when | process | RSS MiB | peak RSS MiB |")
    print("|---|---|---|---|")
    for when, name, rss, peak in rows:
        print(f"| {when} | {name} | {rss:.0f} | {peak:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
