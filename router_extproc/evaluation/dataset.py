"""Per-query outcome datasets: a prompt, each model's correctness (or score), output lengths.

Format (JSON lines, optionally gzipped), one query per line:
``{"prompt": str | "question"+"options", "correct": {model: bool | float}, "output_chars": {model: int},
"pred": {model: answer letter | null}, "question_id": int}`` — the shape of ``../shared/data/mmlu_pro_routing``;
``output_tokens`` may replace ``output_chars``; ``pred`` (each model's final answer) is what cascades compare.
An output length of 0 means the source has no text for that model: it is left out (unknown, not free)
and ``Evaluation`` fills in the median length of the other models on that question.
"""

from __future__ import annotations

import gzip
import json
import pathlib
from dataclasses import dataclass, field

CHARS_PER_TOKEN = 4.0


@dataclass(frozen=True)
class Query:
    prompt: str
    score: dict[str, float]
    output_tokens: dict[str, float]
    pred: dict[str, str | None] = field(default_factory=dict)
    """Each model's final answer (a letter), None when it gave none."""
    question_id: int | None = None


def _prompt(row: dict) -> str:
    if "prompt" in row:
        return row["prompt"]
    options = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(row.get("options", [])))
    return row["question"] + ("\n" + options if options else "")


def load_outcomes(path: str | pathlib.Path, limit: int | None = None) -> list[Query]:
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    queries = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            score = {m: float(v) for m, v in row["correct"].items()}
            if "output_tokens" in row:
                tokens = {m: float(v) for m, v in row["output_tokens"].items() if v > 0}
            else:
                tokens = {m: float(v) / CHARS_PER_TOKEN for m, v in row.get("output_chars", {}).items() if v > 0}
            queries.append(Query(_prompt(row), score, tokens, dict(row.get("pred", {})), row.get("question_id")))
            if limit and len(queries) >= limit:
                break
    return queries
