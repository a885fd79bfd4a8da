"""``router-extproc eval-pii``: precision / recall per PII type, and false alarms on benign text.

Labelled sets (``pii_data``): presidio-research's synthetic sentences and a Faker-generated
set with international formats, each split by template hash; ``--split dev`` (the default) is
what to report, ``--split train`` what to tune on. A prediction is correct when it overlaps a
gold span of the same type. Benign sets: MMLU-Pro questions and ShareGPT user turns, counted
as messages with any span of each type (``--samples N`` prints flagged snippets to judge).
"""

from __future__ import annotations

import json
import pathlib
import random
import time
from collections import Counter

from router_extproc.pii import PII_TYPES, PiiDetector
from router_extproc.training import pii_data
from router_extproc.training.pii_data import NEUTRAL, Row


def score(detector: PiiDetector, rows: list[Row]) -> dict[str, dict[str, float | int | None]]:
    tp_pred: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    tp_gold: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    for text, gold in rows:
        predicted = detector.scan(text).spans
        for p in predicted:
            hits = {g[0] for g in gold if g[1] < p.end and p.start < g[2]}
            if p.type not in hits and hits & NEUTRAL.get(p.type, frozenset()):
                continue  # an address line presidio labels as a city or zip code
            n_pred[p.type] += 1
            tp_pred[p.type] += p.type in hits
        for kind, start, end in gold:
            if kind in PII_TYPES:
                n_gold[kind] += 1
                tp_gold[kind] += any(p.type == kind and start < p.end and p.start < end for p in predicted)
    out: dict[str, dict[str, float | int | None]] = {}
    for kind in sorted(set(n_pred) | set(n_gold)):
        out[kind] = {"precision": round(tp_pred[kind] / n_pred[kind], 3) if n_pred[kind] else None,
                     "recall": round(tp_gold[kind] / n_gold[kind], 3) if n_gold[kind] else None,
                     "gold": n_gold[kind], "predicted": n_pred[kind]}
    return out


def false_alarms(detector: PiiDetector, texts: list[str], samples: int, name: str) -> dict[str, int | float]:
    """Messages with any span of each type; ``samples`` flagged snippets printed per type."""
    flagged: dict[str, list[str]] = {}
    any_type = unscannable = 0
    started = time.perf_counter()
    for text in texts:
        scan = detector.scan(text)
        unscannable += not scan.complete
        any_type += bool(scan.types)
        for kind in scan.types:
            span = next((s for s in scan.spans if s.type == kind), None)
            where = text[max(0, span.start - 40):span.end + 40] if span else "(inside a blob)"
            flagged.setdefault(kind, []).append(f"[{text[span.start:span.end] if span else ''}] {where!r}")
    out: dict[str, int | float] = {"messages": len(texts), "any type": any_type, "unscannable": unscannable,
                                   **{k: len(v) for k, v in sorted(flagged.items())},
                                   "seconds": round(time.perf_counter() - started, 2)}
    if samples:
        rng = random.Random(0)
        for kind, snippets in sorted(flagged.items()):
            print(f"--- {name}: {kind}, {min(samples, len(snippets))} of {len(snippets)}")
            for snippet in rng.sample(snippets, min(samples, len(snippets))):
                print("   ", snippet[:200])
    return out


def print_table(name: str, table: dict[str, dict]) -> None:
    print(f"\n{name}")
    print(f"  {'type':<12} {'precision':>9} {'recall':>7} {'gold':>6} {'predicted':>9}")
    for kind, row in table.items():
        p = "-" if row["precision"] is None else f"{row['precision']:.3f}"
        r = "-" if row["recall"] is None else f"{row['recall']:.3f}"
        print(f"  {kind:<12} {p:>9} {r:>7} {row['gold']:>6} {row['predicted']:>9}")


def evaluate(data_dir: pathlib.Path, split: str = "dev", samples: int = 0, as_json: str | None = None) -> dict:
    detector = PiiDetector()
    report: dict[str, dict] = {}
    labelled = {f"presidio synth_dataset_v2 ({split})": pii_data.presidio(data_dir, split),
                f"Faker generated ({split}, n=1500)": pii_data.faker_set(split)}
    for name, rows in labelled.items():
        report[name] = score(detector, rows)
        print_table(f"{name}: {len(rows)} sentences", report[name])
    benign = {f"MMLU-Pro {split} questions": pii_data.mmlu_questions(data_dir, split),
              f"ShareGPT {split} user turns": pii_data.chat_user_turns(data_dir, split)}
    for name, texts in benign.items():
        report[name] = false_alarms(detector, texts, samples, name)
        print(f"\n{name}: messages with a span of each type")
        print("  " + ", ".join(f"{k}: {v}" for k, v in report[name].items()))
    if as_json:
        pathlib.Path(as_json).write_text(json.dumps(report, indent=2))
    return report
