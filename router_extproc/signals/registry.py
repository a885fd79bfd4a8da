"""Build the signal objects a policy declares, once per policy load."""

from __future__ import annotations

from ..policy.models import Signals
from .base import Signal
from .context_length import ContextLengthRange
from .keyword import KeywordMatcher


def build_signals(spec: Signals) -> list[Signal]:
    signals: list[Signal] = []
    signals.extend(KeywordMatcher(s) for s in spec.keyword)
    signals.extend(ContextLengthRange(s) for s in spec.context_length)
    return signals
