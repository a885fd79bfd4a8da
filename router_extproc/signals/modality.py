"""Modality: which media the request carries (image parts need a vision model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import ModalitySignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts


class ModalityDetector:
    ref = "modality"

    @classmethod
    def from_spec(cls, spec: ModalitySignalSpec, artifacts: SharedArtifacts) -> ModalityDetector:
        return cls()

    def evaluate(self, view: RequestView) -> SignalResult:
        media = view.request.media
        return SignalResult(self.ref, bool(media), float(len(media)), 1.0, media or frozenset({"text"}))
