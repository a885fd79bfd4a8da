"""Context length: how many tokens the prompt takes, against policy bounds."""

from __future__ import annotations

from ..openai_request import ParsedRequest
from ..policy.models import ContextLengthSignal
from .base import SignalResult

CHARS_PER_TOKEN = 4
"""Estimate for English BPE/WordPiece vocabularies, used until the encoder's tokenizer counts."""

PER_MESSAGE_OVERHEAD = 4
"""Tokens a chat template adds per turn (role markers, separators)."""


def estimate_prompt_tokens(request: ParsedRequest) -> int:
    chars = sum(len(m.text) for m in request.messages)
    return -(-chars // CHARS_PER_TOKEN) + PER_MESSAGE_OVERHEAD * len(request.messages)


class ContextLengthRange:
    def __init__(self, spec: ContextLengthSignal) -> None:
        self.ref = f"context_length:{spec.name}"
        self._min = spec.min_tokens
        self._max = spec.max_tokens

    def evaluate(self, request: ParsedRequest) -> SignalResult:
        tokens = estimate_prompt_tokens(request)
        matched = tokens >= self._min and (self._max is None or tokens <= self._max)
        return SignalResult(self.ref, matched, float(tokens), 1.0, None)
