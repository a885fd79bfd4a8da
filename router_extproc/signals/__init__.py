"""Signals turn a parsed request into scored facts that decisions test.

Each signal is a small object with ``evaluate(view) -> SignalResult``; ``SignalEngine``
builds the ones a policy declares and runs them over one shared ``RequestView`` (one
normalisation + tokenization + embedding per request). Signals never decide a model.
"""

from .base import Signal, SignalResult
from .engine import SignalEngine
from .models import SharedModels, default_models

__all__ = ["SharedModels", "Signal", "SignalEngine", "SignalResult", "default_models"]
