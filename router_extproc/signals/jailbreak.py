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
WINDOW_TOKENS = 32
WINDOW_STRIDE = 16
MAX_WINDOWS = 256


def chunk_ids(ids: np.ndarray) -> list[np.ndarray]:
    """What the gate scores: the text in 256-token chunks and, for longer texts, also in
    overlapping 32-token windows (stride 16, at most 256, head and tail kept), so one injected sentence
    in a long benign document is not averaged away."""
    if len(ids) <= CHUNK_TOKENS:
        return [ids]
    chunks = [ids[i : i + CHUNK_TOKENS] for i in range(0, len(ids), CHUNK_TOKENS)]
    windows = [ids[i : i + WINDOW_TOKENS] for i in range(0, len(ids) - WINDOW_STRIDE, WINDOW_STRIDE)]
    if len(windows) > MAX_WINDOWS:
        windows = windows[: MAX_WINDOWS * 3 // 4] + windows[-(MAX_WINDOWS // 4) :]
    return chunks + windows


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
