"""Context length: prompt tokens counted by the encoder's tokenizer, against policy bounds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from router_extproc.policy.spec import ContextLengthSignal
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.signals.artifacts import SharedArtifacts


class ContextLengthRange:
    @classmethod
    def from_spec(cls, spec: ContextLengthSignal, artifacts: SharedArtifacts) -> ContextLengthRange:
        return cls(spec)

    def __init__(self, spec: ContextLengthSignal) -> None:
        self.ref = f"context_length:{spec.name}"
        self._min = spec.min_tokens
        self._max = spec.max_tokens

    def evaluate(self, view: RequestView) -> SignalResult:
        tokens = view.prompt_tokens
        matched = tokens >= self._min and (self._max is None or tokens <= self._max)
        return SignalResult(self.ref, matched, float(tokens))
