"""Signals turn a parsed request into scored facts that decisions test.

Each signal is a small object with ``evaluate(view) -> SignalResult``; ``SignalEngine``
builds the ones a policy declares and runs them over one shared ``RequestView`` (one
normalisation + tokenization + embedding per request). Signals never decide a model.
"""

from router_extproc.signals.artifacts import SharedArtifacts, default_artifacts
from router_extproc.signals.base import Signal, SignalResult
from router_extproc.signals.engine import SignalEngine

__all__ = ["SharedArtifacts", "Signal", "SignalEngine", "SignalResult", "default_artifacts"]
