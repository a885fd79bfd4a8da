"""The one interface every signal implements, and the result it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..openai_request import ParsedRequest


@dataclass(frozen=True)
class SignalResult:
    """What a signal found: ``matched`` for rules, a score and confidence for thresholds."""

    ref: str
    matched: bool
    score: float = 0.0
    confidence: float = 1.0
    label: str | None = None


class Signal(Protocol):
    """A named fact about a request; ``ref`` is ``kind:name`` as rules write it."""

    ref: str

    def evaluate(self, request: ParsedRequest) -> SignalResult: ...
