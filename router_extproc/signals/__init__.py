"""Signals turn a parsed request into scored facts that decisions test.

Each signal is a small object with ``evaluate(request) -> SignalResult``; ``build_signals``
creates the ones a policy declares. Signals never decide a model: decisions do.
"""

from .base import Signal, SignalResult
from .registry import build_signals

__all__ = ["Signal", "SignalResult", "build_signals"]
