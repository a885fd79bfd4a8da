"""Jailbreak / prompt-injection gate: each message scored on its own, two stages.

The threat model and what is scanned: docs/safety.md. In short: every client-controlled
message (system, developer, user, tool results, replayed assistant turns) is normalised
against evasion and cut into pieces (``segments``); a linear head (``first_stage``) clears the
pieces it is sure are benign in microseconds; a fine-tuned transformer (``second_stage``)
judges the rest, worst first, within a token budget per request; a judged piece's logit is the
first stage's plus a weighted second stage's (each catches what the other misses: the lexical
head known jailbreak vocabulary, the transformer what a sentence means). The request's score
is its worst piece's; the evasion tricks found are the result's labels.
"""

from router_extproc.signals.base import SignalUnavailable
from router_extproc.signals.jailbreak.detector import JailbreakDetector

__all__ = ["JailbreakDetector", "SignalUnavailable"]
