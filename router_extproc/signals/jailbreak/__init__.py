"""Jailbreak / prompt-injection gate: each message scored on its own, two stages.

The threat model and what is scanned: docs/safety.md. In short: every client-controlled
message (system, developer, user, tool results, replayed assistant turns) is normalised
against evasion and cut into pieces (``segments``); a linear head (``first_stage``) clears the
pieces it is sure are benign in microseconds; a fine-tuned transformer (``second_stage``)
judges the rest, worst first, within a token budget per request. The request's
score is its worst piece's; the evasion tricks found are the result's labels.
"""

from ..base import SignalUnavailable
from .detector import JailbreakDetector

__all__ = ["JailbreakDetector", "SignalUnavailable"]
