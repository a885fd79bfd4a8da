"""``router-extproc eval-cache``: the semantic cache's false hits and hits on labelled pairs.

Each turn goes through the server's own code: parsed as a chat request, read by the shared
``RequestView`` (normalised, tokenized once, static embedding), turned into a cache probe whose
vector is quantised as the store keeps it, and judged by the cache's ``Matcher``. A pair is a
hit when the two bodies are equal (the exact key) or the matcher accepts them. The false-hit
rate is hits among pairs of different requests; the hit rate, hits among pairs of the same
request. ``--calibrate`` picks, on the split given, the thresholds with the most hits whose
false-hit rate stays within ``--max-false-hits``.
"""

from __future__ import annotations

import pathlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from router_extproc.cache.semantic import Matcher, Probe, edits
from router_extproc.endpoints import Message, ParsedRequest
from router_extproc.evaluation.cache_pairs import DIFFERENT_KINDS, SAME_KINDS, LabelledPair, chat_pairs, mmlu_pairs
from router_extproc.policy.cache_spec import SemanticSpec
from router_extproc.signals import default_artifacts
from router_extproc.signals.view import RequestView
from router_extproc.training.data import mmlu_pro, sharegpt

THRESHOLDS = (0.8, 0.85, 0.9, 0.95)
EDITS = (0, 1, 2, 3)
NOVELTIES = (0.01, 0.02, 0.04, 0.08, 0.15)


@dataclass
class Scored:
    pair: LabelledPair
    exact: bool
    eligible: bool
    cosine: float = 0.0
    literals_equal: bool = False
    """Numbers, negations and mixed-case words the same, in order."""
    edits: int = 0
    words: int = 0
    """Content words of both turns."""

    def hit(self, threshold: float, max_edits: int, max_novelty: float) -> bool:
        return self.exact or (self.eligible and self.cosine >= threshold and self.literals_equal
                              and self.edits <= max_edits and (self.edits == 0 or self.edits <= max_novelty * self.words))


@dataclass(frozen=True)
class Setting:
    threshold: float
    max_edits: int
    max_novelty: float

    def hit(self, scored: Scored) -> bool:
        return scored.hit(self.threshold, self.max_edits, self.max_novelty)


@dataclass
class CacheReport:
    split: str
    setting: Setting
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    false_hit_rate: float = 0.0
    hit_rate: float = 0.0
    different: int = 0
    same: int = 0
    sweep: list[dict[str, float]] = field(default_factory=list)
    false_hits: list[tuple[str, str, str]] = field(default_factory=list)


class PairScorer:
    def __init__(self, max_tokens: int = SemanticSpec().max_tokens) -> None:
        self._featurizer = default_artifacts().featurizer
        self.matcher = Matcher(self._featurizer, 1.0, 0, 0.0)
        self._max_tokens = max_tokens
        self._probes: dict[str, tuple[np.ndarray, Probe | None]] = {}

    def probe(self, text: str) -> tuple[np.ndarray, Probe | None]:
        """The static embedding of ``text`` sent as a one-turn chat request, and the cache's probe
        of it (None: served by exact match only), through the server's own view."""
        cached = self._probes.get(text)
        if cached is None:
            request = ParsedRequest("chat", "auto", False, [Message("user", text)],
                                    {"model": "auto", "messages": [{"role": "user", "content": text}]})
            view = RequestView(request, self._featurizer)
            features = view.last_user_features
            probe = None
            if len(view.message_ids[-1]) <= self._max_tokens:
                probe = self.matcher.probe(view.message_ids[-1], features.embedding, text)
            cached = (features.embedding, probe)
            self._probes[text] = cached
        return cached

    def embed(self, text: str) -> np.ndarray:
        return self.probe(text)[0]

    def score(self, pair: LabelledPair) -> Scored:
        a, b = self.probe(pair.a)[1], self.probe(pair.b)[1]
        scored = Scored(pair, pair.a == pair.b, a is not None and b is not None)
        if a is not None and b is not None:
            m = self.matcher
            scored.cosine = float(m.quantized(a.vector) @ m.quantized(b.vector))
            scored.literals_equal = a.numbers == b.numbers and a.literals == b.literals
            scored.edits, scored.words = edits(a.content, b.content), len(a.content) + len(b.content)
        return scored


def build_pairs(data_dir: pathlib.Path, split: str, scorer: PairScorer, limit: int | None = None) -> list[LabelledPair]:
    rows = mmlu_pro(data_dir, split)[:limit]
    conversations = sharegpt(data_dir, split)[:limit]
    return mmlu_pairs(rows, scorer.embed) + chat_pairs(conversations, scorer.embed)


def rates(scored: list[Scored], setting: Setting) -> tuple[float, float, int, int]:
    different = [s for s in scored if not s.pair.same]
    same = [s for s in scored if s.pair.same]
    false_hits = sum(setting.hit(s) for s in different)
    hits = sum(setting.hit(s) for s in same)
    return false_hits / max(1, len(different)), hits / max(1, len(same)), len(different), len(same)


def settings() -> list[Setting]:
    return [Setting(t, e, n) for t in THRESHOLDS for e in EDITS for n in NOVELTIES]


def sweep(scored: list[Scored]) -> list[dict[str, float]]:
    out = []
    for setting in settings():
        false_hit_rate, hit_rate, _, _ = rates(scored, setting)
        out.append({"threshold": setting.threshold, "max_edits": setting.max_edits,
                    "max_novelty": setting.max_novelty, "false_hit_rate": false_hit_rate, "hit_rate": hit_rate})
    return out


def calibrate(scored: list[Scored], max_false_hits: float) -> Setting:
    """The setting with the highest hit rate whose false-hit rate is within the bound (ties: the
    strictest)."""
    best: tuple[tuple[float, float, int, float], Setting] | None = None
    for row, setting in zip(sweep(scored), settings(), strict=True):
        if row["false_hit_rate"] > max_false_hits:
            continue
        key = (row["hit_rate"], setting.threshold, -setting.max_edits, -setting.max_novelty)
        if best is None or key > best[0]:
            best = (key, setting)
    if best is None:
        raise ValueError(f"no setting keeps the false-hit rate within {max_false_hits:.2%}")
    return best[1]


def report(scored: list[Scored], split: str, setting: Setting) -> CacheReport:
    out = CacheReport(split, setting)
    by_kind: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_kind[s.pair.kind].append(s)
    for kind in (*DIFFERENT_KINDS, *SAME_KINDS):
        items = by_kind.get(kind, [])
        hits = sum(setting.hit(s) for s in items)
        out.kinds[kind] = {"same": kind in SAME_KINDS, "pairs": len(items), "hits": hits,
                           "rate": hits / len(items) if items else 0.0, "semantic": sum(s.eligible for s in items)}
    out.false_hit_rate, out.hit_rate, out.different, out.same = rates(scored, setting)
    out.sweep = sweep(scored)
    out.false_hits = [(s.pair.kind, s.pair.a, s.pair.b) for s in scored if not s.pair.same and setting.hit(s)]
    return out


def markdown(result: CacheReport, show: int = 0) -> str:
    setting = result.setting
    lines = [f"## Semantic cache on labelled pairs ({result.split})", "",
             f"threshold {setting.threshold}, max_edits {setting.max_edits}, max_novelty {setting.max_novelty}: "
             f"false-hit rate **{result.false_hit_rate:.3%}** of {result.different} pairs of different requests, "
             f"hit rate **{result.hit_rate:.1%}** of {result.same} pairs of the same request", "",
             "| kind | label | pairs | read semantically | hits | rate |", "|---|---|---|---|---|---|"]
    for kind, row in result.kinds.items():
        label = "same" if row["same"] else "different"
        lines.append(f"| {kind} | {label} | {row['pairs']} | {row['semantic']} | {row['hits']} | {row['rate']:.2%} |")
    lines += ["", "| threshold | max_edits | max_novelty | false-hit rate | hit rate |", "|---|---|---|---|---|"]
    for row in result.sweep:
        if row["threshold"] == setting.threshold or (row["max_edits"] == setting.max_edits
                                                     and row["max_novelty"] == setting.max_novelty):
            lines.append(f"| {row['threshold']} | {row['max_edits']} | {row['max_novelty']} | "
                         f"{row['false_hit_rate']:.3%} | {row['hit_rate']:.1%} |")
    for kind, a, b in result.false_hits[:show]:
        lines += ["", f"false hit ({kind}):", f"    a: {a[:300]!r}", f"    b: {b[:300]!r}"]
    return "\n".join(lines)


def evaluate(data_dir: pathlib.Path, split: str, setting: Setting | None, limit: int | None,
             max_false_hits: float, show: int = 0) -> CacheReport:
    """Score the split's pairs; with no ``setting``, calibrate one on them (use ``train``)."""
    scorer = PairScorer()
    scored = [scorer.score(p) for p in build_pairs(data_dir, split, scorer, limit)]
    chosen = setting or calibrate(scored, max_false_hits)
    result = report(scored, split, chosen)
    print(markdown(result, show))
    return result
