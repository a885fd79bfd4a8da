"""Modality: which media the request carries (image parts need a vision model)."""

from __future__ import annotations

from .base import SignalResult
from .view import RequestView


class ModalityDetector:
    ref = "modality"

    def evaluate(self, view: RequestView) -> SignalResult:
        media = view.request.media
        return SignalResult(self.ref, bool(media), float(len(media)), 1.0, media or frozenset({"text"}))
