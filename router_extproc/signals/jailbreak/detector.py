"""The gate: first stage on every piece, second stage on the unsure ones, the worst piece decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...features import Featurizer
from ...heads import LinearHead
from ..base import SignalResult, SignalUnavailable
from ..view import RequestView
from .first_stage import piece_logits
from .second_stage import SecondStage
from .segments import message_pieces

SECOND_STAGE_TOKEN_BUDGET = 192
"""Tokens of new (uncached) pieces the second stage reads per request, worst pieces first (at
least one piece): bounds its cost to about two 128-token passes."""


@dataclass(frozen=True)
class Assessment:
    score: float
    """Attack probability of the worst piece: the second stage's where it ran, else the first's."""
    message: int | None
    """Index of the message holding the worst piece (None: nothing was scored)."""
    pieces: int
    second_stage_pieces: int
    """Pieces the second stage judged (cached or new)."""


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


class JailbreakDetector:
    ref = "jailbreak"

    def __init__(self, head: LinearHead, featurizer: Featurizer, second: SecondStage | None,
                 threshold: float | None = None) -> None:
        self._head = head
        self._featurizer = featurizer
        self._second = second
        self.band_low = float(head.meta["band_low"]) if second is not None else float("inf")
        """First-stage logit from which a piece goes to the second stage."""
        default = second.meta["threshold"] if second is not None else head.meta["threshold"]
        self.threshold = float(threshold if threshold is not None else default)

    def assess(self, message_ids: Sequence[np.ndarray]) -> Assessment:
        """Score a request given each message's (normalised) token ids."""
        tokenizer = self._featurizer.tokenizer
        found = [p for i, ids in enumerate(message_ids) if (p := message_pieces(i, ids, tokenizer)) is not None]
        if not found:
            return Assessment(0.0, None, 0, 0)
        logits = [piece_logits(self._head, self._featurizer, pieces) for pieces in found]
        flat = np.concatenate(logits)
        owner = np.concatenate([np.full(len(z), m) for m, z in enumerate(logits)])
        index = np.concatenate([np.arange(len(z)) for z in logits])
        worst = int(np.argmax(flat))
        unsure = [int(k) for k in np.argsort(-flat, kind="stable") if flat[k] >= self.band_low]
        if not unsure or self._second is None:
            return Assessment(_sigmoid(float(flat[worst])), found[owner[worst]].message, len(flat), 0)
        verdicts = self._second.probabilities([found[owner[k]].piece(int(index[k])) for k in unsure],
                                              SECOND_STAGE_TOKEN_BUDGET)
        judged = [(p, k) for p, k in zip(verdicts, unsure, strict=True) if p is not None]
        score, k = max(judged)
        return Assessment(score, found[owner[k]].message, len(flat), len(judged))

    def evaluate(self, view: RequestView) -> SignalResult:
        if not view.scan_complete:
            raise SignalUnavailable("the prompt is longer than the gate's scan budget")
        found = self.assess(view.scan_ids)
        details: dict[str, object] = {"pieces": found.pieces, "second_stage": found.second_stage_pieces,
                                      "threshold": round(self.threshold, 4)}
        if found.message is not None:
            details["role"] = view.request.messages[found.message].role
        return SignalResult(self.ref, found.score >= self.threshold, found.score, abs(found.score - 0.5) * 2,
                            view.tricks, details)
