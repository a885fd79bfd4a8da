"""The agreement cascade's decisions: whether to ask at all, and whether to escalate.

Doubt about the cheap answer = evidence + ``difficulty_weight`` × the prompt's difficulty
score, where evidence is 1 when the cheap answer and the second opinion disagree (or the cheap
answer's own token confidence is low), ``no_opinion`` when the second opinion has no final
answer, 0 when they agree. The strong model answers when doubt reaches ``threshold``.

Before any call the range of doubt is known (evidence is 0..1), so:
- ``strong``: doubt reaches the threshold even if the answers agree: ask the strong model alone;
- ``cheap``: doubt stays below it even if they disagree: the cheap model alone (a clear prompt);
- ``cascade``: the answers decide.
The choice without answers (``predicted``: doubt with no second opinion) is what a request gets
when it cannot cascade (a stream with ``streaming: skip``, tools, a private request whose stages
are not all allowed). These functions are pure: ``eval`` runs them on outcome data, the server
on live answers, with the same results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from router_extproc.decision.agreement import Answer, agree, confidence, final_answer, is_refusal
from router_extproc.policy.spec import CascadeRule, CascadeStrategy, Decision
from router_extproc.signals.base import SignalResult

Route = Literal["cheap", "strong", "cascade"]


@dataclass(frozen=True)
class Stages:
    cheap: str
    second: str
    strong: str

    @classmethod
    def of(cls, decision: Decision) -> Stages:
        cheap, second, strong = decision.models
        return cls(cheap, second, strong)


@dataclass(frozen=True)
class Verdict:
    escalate: bool
    reason: str
    """``agree``, ``disagree``, ``no_opinion``, ``low_confidence``, or the rule that fired."""
    doubt: float


def difficulty_of(results: Mapping[str, SignalResult]) -> float:
    """The prompt's difficulty score; 0 (no evidence either way) when the signal is missing or failed."""
    result = results.get("difficulty")
    return 0.0 if result is None or result.error else float(result.score)


def route(strategy: CascadeStrategy, difficulty: float) -> Route:
    prior = strategy.difficulty_weight * difficulty
    if prior >= strategy.threshold:
        return "strong"
    if prior + 1.0 < strategy.threshold:
        return "cheap"
    return "cascade"


def predicted(strategy: CascadeStrategy, stages: Stages, difficulty: float) -> str:
    """The model for a request that cannot cascade: doubt as if the second opinion had no answer."""
    doubt = strategy.no_opinion + strategy.difficulty_weight * difficulty
    return stages.strong if doubt >= strategy.threshold else stages.cheap


def rule_hit(answer: Answer, choices: str | None, rules: list[CascadeRule]) -> CascadeRule | None:
    """The first rule the cheap answer breaks, if any."""
    if answer.text is None:
        return "error" if "error" in rules else None
    checks: list[tuple[CascadeRule, bool]] = [
        ("empty", not answer.text.strip()),
        ("truncated", answer.finish_reason in ("length", "max_tokens", "max_output_tokens")),
        ("refusal", is_refusal(answer.text)),
        ("unanswered", final_answer(answer.text, choices) is None),
    ]
    return next((rule for rule, hit in checks if hit and rule in rules), None)


def verdict(strategy: CascadeStrategy, difficulty: float, cheap: Answer, second: Answer,
            choices: str | None = None) -> Verdict:
    """Escalate to the strong model, or keep the cheap answer?"""
    prior = strategy.difficulty_weight * difficulty
    rule = rule_hit(cheap, choices, strategy.escalate_on)
    if rule is not None:
        return Verdict(True, rule, 1.0 + prior)
    evidence, reason = evidence_of(strategy, cheap, second, choices)
    doubt = evidence + prior
    return Verdict(doubt >= strategy.threshold, reason, doubt)


def evidence_of(strategy: CascadeStrategy, cheap: Answer, second: Answer, choices: str | None) -> tuple[float, str]:
    own = confidence(cheap.logprobs)
    if strategy.min_answer_confidence is not None and own is not None and own < strategy.min_answer_confidence:
        return 1.0, "low_confidence"
    mine = final_answer(cheap.text or "", choices)
    theirs = final_answer(second.text, choices) if second.text is not None else None
    if mine is None or theirs is None:
        return strategy.no_opinion, "no_opinion"
    return (0.0, "agree") if agree(mine, theirs) else (1.0, "disagree")
