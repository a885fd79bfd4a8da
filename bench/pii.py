"""PII detector cost: adversarial inputs that must stay bounded, and latency on ordinary text.

    python bench/pii.py [--timeout 30] [--iterations 300] [--only NAME]

Table 1: each adversarial input scanned once by ``PiiDetector()`` (every type) in a child
process, killed after ``--timeout`` seconds: size, wall seconds, CPU seconds, spans found, and
whether the scan was complete (``bounded``: a per-message bound was hit and the result says
so, the caller counts the message as unscannable, i.e. private).
Table 2: p50 / p99 of the ``pii`` signal (``PiiScanner.evaluate`` over a parsed request, all
types) at 16 / 64 / 256 / 1024 WordPiece tokens of ordinary text, plus ``find`` alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import pathlib
import random
import sys
import time
from collections.abc import Callable

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from router_extproc.pii import PiiDetector  # noqa: E402

MIB = 1 << 20


def digit_soup(size: int = 8 * MIB, seed: int = 1) -> str:
    """Digits and every separator a phone, card or SSN pattern accepts, at random."""
    rng = random.Random(seed)
    alphabet = "0123456789" * 3 + " -.()+/"
    return "".join(rng.choices(alphabet, k=size))


def spaced_digits(size: int = 8 * MIB) -> str:
    """One endless run of single digits separated by spaces (the spaced-digit trick, unbounded)."""
    return ("1 2 3 4 5 6 7 8 9 0 " * (size // 20 + 1))[:size]


def emails(n: int) -> str:
    return " ".join(f"user{i}@example{i % 97}.com" for i in range(n))


ADVERSARIAL: dict[str, Callable[[], str]] = {
    "digit-and-separator soup 8 MiB": digit_soup,
    "spaced digits 8 MiB": spaced_digits,
    "8,000 e-mails": lambda: emails(8_000),
    "100k e-mails": lambda: emails(100_000),
    "phone bait '+1 ' + '1 ' * 100k": lambda: "+1 " + "1 " * 100_000,
    "phone bait '+' + '1-' * 100k + 'x'": lambda: "+" + "1-" * 100_000 + "x",
    "phone bait '(1) ' * 50k": lambda: "(1) " * 50_000,
    "phone bait '00' + '1 (2) ' * 33k": lambda: "00" + "1 (2) " * 33_000,
    "phone bait 'call me ' + '1.' * 100k": lambda: "call me " + "1." * 100_000,
    "phone bait 'phone: ' + '1-' * 100k": lambda: "phone: " + "1-" * 100_000,
    "phone bait 'tel ' + '12 ' * 66k": lambda: "tel " + "12 " * 66_000,
    "phone list 200 KB": lambda: " ".join(f"(555) 201-{i % 10_000:04d}" for i in range(14_000)),
    "name cues 'My name is ' * 20k": lambda: "My name is " * 20_000,
    "name cues 'Dr. Mr. ' * 25k + names": lambda: "Dr. Mr. " * 25_000 + "John Smith",
    "capitalised names 'Anna Maria ' * 20k": lambda: "Anna Maria " * 20_000,
    "address bait '1 ' + 'Main ' * 40k": lambda: "1 " + "Main " * 40_000 + "Street",
    "base64 soup 1 MiB": lambda: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * (MIB // 35),
    "one base64 blob of text 8 MiB": lambda: base64.b64encode(b"call me at +1 (212) 555-0199 " * (6 * MIB // 29)).decode(),
    "initials at line starts 'F. X ' * 50k": lambda: "F. Xavier " * 50_000,
    "full-width + zero-width 1 MiB": lambda: ("ｊ\u200bａ\u200bｎ\u200bｅ\u200b＠" * (MIB // 10)),
    "ordinary prose 8 MiB": lambda: ("The committee met on Tuesday to review the budget for the next year, "
                                     "and Anna proposed three changes to the plan. ") * (8 * MIB // 120),
}


def _scan_child(name: str, conn) -> None:
    text = ADVERSARIAL[name]()
    detector = PiiDetector()
    wall, cpu = time.perf_counter(), time.process_time()
    scan = getattr(detector, "scan", None)
    if scan is not None:
        result = scan(text)
        spans, complete = len(result.spans), result.complete
    else:  # the detector before bounds existed: find() only
        spans, complete = len(detector.find(text)), True
    conn.send((len(text), time.perf_counter() - wall, time.process_time() - cpu, spans, complete))


def adversarial_table(timeout: float, only: str | None) -> list[dict]:
    ctx = mp.get_context("fork")
    rows = []
    print(f"{'input':<42} {'chars':>9} {'wall s':>8} {'cpu s':>8} {'spans':>7}  result")
    for name in ADVERSARIAL:
        if only and only not in name:
            continue
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_scan_child, args=(name, child))
        proc.start()
        if parent.poll(timeout):
            size, wall, cpu, spans, complete = parent.recv()
            row = {"input": name, "chars": size, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "spans": spans,
                   "result": "complete" if complete else "bounded"}
        else:
            row = {"input": name, "chars": len(ADVERSARIAL[name]()), "wall_s": None, "cpu_s": None, "spans": None,
                   "result": f"killed after {timeout:g} s"}
        proc.kill()
        proc.join()
        rows.append(row)
        wall_s = "-" if row["wall_s"] is None else f"{row['wall_s']:.3f}"
        cpu_s = "-" if row["cpu_s"] is None else f"{row['cpu_s']:.3f}"
        spans_s = "-" if row["spans"] is None else str(row["spans"])
        print(f"{name:<42} {row['chars']:>9} {wall_s:>8} {cpu_s:>8} {spans_s:>7}  {row['result']}", flush=True)
    return rows


PROSE = (
    "Hi, I'm writing about the quarterly report. The team met on Tuesday and reviewed 14 items; revenue grew "
    "3.2% to $1,240,000 while costs stayed near 870k. Version 2.4.1 of the tool shipped on 2024-03-05T10:15:00Z. "
    "Could you summarise the risks in 5 bullet points, compute 17 * 23 + 4, and suggest what Maria should tell "
    "the board in Chicago next week? Also explain why the 95% confidence interval is 0.41-0.47 here. "
)


def latency_table(iterations: int) -> dict:
    from router_extproc.endpoints import parse_request
    from router_extproc.policy.spec import PiiSignalSpec
    from router_extproc.signals import default_artifacts
    from router_extproc.signals.pii import PiiScanner
    from router_extproc.signals.view import RequestView

    models = default_artifacts()
    tokenizer = models.featurizer.tokenizer
    scanner = PiiScanner(PiiSignalSpec().types)
    detector = PiiDetector()
    out = {}
    print(f"\n{'tokens':>6} {'chars':>6} {'signal p50 ms':>14} {'signal p99 ms':>14} {'find p50 ms':>12} {'find p99 ms':>12}")
    for tokens in (16, 64, 256, 1024):
        ids = tokenizer.ids(PROSE * (tokens // 60 + 2))[:tokens]
        text = tokenizer._tokenizer.decode(ids.tolist())
        raw = json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]}).encode()
        signal_ms, find_ms = [], []
        for _ in range(iterations):
            view = RequestView(parse_request("chat", raw), models.featurizer)
            started = time.perf_counter()
            scanner.evaluate(view)
            signal_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            detector.find(text)
            find_ms.append((time.perf_counter() - started) * 1000)
        row = {"chars": len(text), "signal_p50_ms": pct(signal_ms, 0.5), "signal_p99_ms": pct(signal_ms, 0.99),
               "find_p50_ms": pct(find_ms, 0.5), "find_p99_ms": pct(find_ms, 0.99)}
        out[tokens] = row
        print(f"{tokens:>6} {row['chars']:>6} {row['signal_p50_ms']:>14.3f} {row['signal_p99_ms']:>14.3f} "
              f"{row['find_p50_ms']:>12.3f} {row['find_p99_ms']:>12.3f}")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before an adversarial scan is killed")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--only", help="run the adversarial inputs whose name contains this")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--json", help="also write the tables to this file")
    args = parser.parse_args()
    report = {"adversarial": adversarial_table(args.timeout, args.only)}
    if not args.skip_latency:
        report["latency"] = latency_table(args.iterations)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
