"""PII signal: which PII types the conversation carries, with spans for redaction."""

from __future__ import annotations

from ..pii import PiiDetector
from .base import SignalResult
from .view import RequestView

MAX_SCAN_CHARS = 200_000
"""Per message: PII in a 2 MiB paste is found in its first and last 100k characters."""


class PiiScanner:
    ref = "pii"

    def __init__(self, types: list[str]) -> None:
        self._detector = PiiDetector(tuple(types))

    def evaluate(self, view: RequestView) -> SignalResult:
        found: list[dict] = []
        for index, message in enumerate(view.request.messages):
            text = message.text
            if len(text) > MAX_SCAN_CHARS:
                half = MAX_SCAN_CHARS // 2
                spans = [(s, 0) for s in self._detector.find(text[:half])]
                spans += [(s, len(text) - half) for s in self._detector.find(text[-half:])]
            else:
                spans = [(s, 0) for s in self._detector.find(text)]
            found += [{"message": index, **s.as_dict(), "start": s.start + shift, "end": s.end + shift}
                      for s, shift in spans]
        types = frozenset(f["type"] for f in found)
        return SignalResult(self.ref, bool(found), float(len(found)), max((f["score"] for f in found), default=1.0),
                            types, {"spans": found})
