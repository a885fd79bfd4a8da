"""PII signal: which PII types the conversation carries, with spans for redaction.

Each message is scanned whole (the detector is linear, with per-text bounds). A message the
detector could not scan completely makes the result an error (``unscannable``): privacy
closure then treats the request as private, and the signal matches, like a gate that failed
closed. Labels are the PII types; ``details["tricks"]`` the obfuscations undone to find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from router_extproc.pii import PiiDetector
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import PiiSignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts


class PiiScanner:
    ref = "pii"

    @classmethod
    def from_spec(cls, spec: PiiSignalSpec, artifacts: SharedArtifacts) -> PiiScanner:
        return cls(spec.types)

    def __init__(self, types: Sequence[str]) -> None:
        self._detector = PiiDetector(tuple(types))

    def evaluate(self, view: RequestView) -> SignalResult:
        found: list[dict] = []
        types: set[str] = set()
        tricks: set[str] = set()
        limits: list[str] = []
        for index, message in enumerate(view.request.messages):
            scan = self._detector.scan(message.text)
            found += [{"message": index, **s.as_dict()} for s in scan.spans]
            types |= scan.types
            tricks |= scan.tricks
            limits += [f"message {index}: {limit}" for limit in scan.limits]
        details = {"spans": found, "tricks": sorted(tricks)}
        if limits:
            details["limits"] = limits
            return SignalResult(self.ref, True, float(len(found)), 1.0, frozenset(types), details,
                                error="unscannable: " + "; ".join(limits))
        return SignalResult(self.ref, bool(types), float(len(found)), max((f["score"] for f in found), default=1.0),
                            frozenset(types), details)
