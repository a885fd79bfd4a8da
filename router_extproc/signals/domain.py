"""Domain: 14 MMLU-Pro categories + ``general``, from the trained head on the focus features."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from router_extproc.encoder.heads import LinearHead
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import DomainSignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts


class DomainClassifier:
    ref = "domain"

    @classmethod
    def from_spec(cls, spec: DomainSignalSpec, artifacts: SharedArtifacts) -> DomainClassifier:
        return cls(artifacts.domain_head, spec.min_confidence)

    def __init__(self, head: LinearHead, min_confidence: float) -> None:
        self._head = head
        self._min_confidence = min_confidence

    def evaluate(self, view: RequestView) -> SignalResult:
        probabilities = self._head.probabilities(view.focus)
        order = np.argsort(-probabilities)[:3]
        top = int(order[0])
        confidence = float(probabilities[top])
        return SignalResult(
            self.ref,
            confidence >= self._min_confidence,
            confidence,
            confidence,
            frozenset({self._head.labels[top]}) if confidence >= self._min_confidence else frozenset(),
            {"top": [[self._head.labels[int(i)], round(float(probabilities[i]), 3)] for i in order]},
        )
