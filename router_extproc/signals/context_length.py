"""Context length: prompt tokens counted by the encoder's tokenizer, against policy bounds."""

from __future__ import annotations

from ..policy.models import ContextLengthSignal
from .base import SignalResult
from .view import RequestView


class ContextLengthRange:
    def __init__(self, spec: ContextLengthSignal) -> None:
        self.ref = f"context_length:{spec.name}"
        self._min = spec.min_tokens
        self._max = spec.max_tokens

    def evaluate(self, view: RequestView) -> SignalResult:
        tokens = view.prompt_tokens
        matched = tokens >= self._min and (self._max is None or tokens <= self._max)
        return SignalResult(self.ref, matched, float(tokens))
