"""Jailbreak / prompt-injection gate: normalised text, chunked, scored by a trained head.

Every message the client sent is read (system, user, tool results and replayed assistant
turns are all client-controlled; indirect injection arrives in tool results). The text is
normalised against evasion (``normalize``), cut into 256-token chunks (``view.chunks``), and
the highest chunk score is the signal's score: an attack after a long benign preamble is
still seen. The evasion tricks found are the result's labels.
"""

from __future__ import annotations

import numpy as np

from ..heads import LinearHead
from .base import SignalResult
from .view import RequestView

CHUNK_TOKENS = 256


def chunk_ids(ids: np.ndarray, chunk: int = CHUNK_TOKENS) -> list[np.ndarray]:
    if len(ids) <= chunk:
        return [ids]
    return [ids[i : i + chunk] for i in range(0, len(ids), chunk)]


class JailbreakDetector:
    ref = "jailbreak"

    def __init__(self, head: LinearHead, threshold: float | None) -> None:
        self._head = head
        self.threshold = float(threshold if threshold is not None else head.meta["threshold"])

    def evaluate(self, view: RequestView) -> SignalResult:
        chunks = view.chunks
        logits = self._head.logits_many(np.stack([c.embedding for c in chunks]),
                                        [(c.lexical_index, c.lexical_value) for c in chunks])[:, 0]
        worst = int(np.argmax(logits))
        score = float(1.0 / (1.0 + np.exp(-logits[worst])))
        return SignalResult(
            self.ref,
            score >= self.threshold,
            score,
            abs(score - 0.5) * 2,
            view.tricks,
            {"chunk": worst, "chunks": len(chunks), "threshold": round(self.threshold, 4)},
        )
