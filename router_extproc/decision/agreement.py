"""Do two answers say the same thing? Final answers, refusals, and an answer's own confidence.

An agreement cascade compares *final answers*, not texts: two models that reason differently
but pick the same option agree. ``final_answer`` reads the chosen letter when the prompt lists
lettered options (MMLU-style: "the answer is (C)"), else a number ("#### 42", ``\\boxed{42}``,
"the answer is 42"), else the normalised text; texts agree when their word sets mostly overlap
(a heuristic: free-form answers rarely match, so they escalate more). Token logprobs, when the
backend returns them, give the answer's own confidence (geometric-mean token probability).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

LETTERS = "ABCDEFGHIJ"
TEXT_AGREEMENT = 0.8
"""Word-set overlap (Jaccard) at which two free-form answers count as the same."""

_OPTION_LINE = re.compile(r"^\s*\(?([A-J])[.):]\s+\S", re.MULTILINE)
_ANSWER_IS = re.compile(r"answer\s*(?:is|:)?\s*:?\s*\**\s*\(?([A-J])\)?(?![A-Za-z0-9])", re.IGNORECASE)
_BARE_LETTER = re.compile(r"^\W*\(?([A-J])\)?\W*$")
_NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
_NUMBER_MARKED = re.compile(rf"(?:####\s*|\\boxed\{{\s*|answer\s*(?:is|:)\s*:?\s*\$?)({_NUMBER})", re.IGNORECASE)
_REFUSAL = re.compile(
    r"^\W*(?:i'?m sorry,? (?:but )?)?(?:i|we)\s*(?:can(?:no|')t|cannot|am unable to|won'?t|will not|am not able to)"
    r"\s+(?:help|assist|answer|provide|comply|do that|fulfil|fulfill)", re.IGNORECASE)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class FinalAnswer:
    kind: Literal["choice", "number", "text"]
    value: str


@dataclass(frozen=True)
class Answer:
    """What one model answered, as far as the cascade cares: its text (None: no answer at all,
    an error or a timeout), why it stopped, and its token logprobs when the backend sent them."""

    text: str | None
    finish_reason: str | None = None
    logprobs: tuple[float, ...] | None = None


def choices_in(prompt: str) -> str | None:
    """The option letters a prompt lists ("A. ...", "(B) ..." at line starts), when it lists two or more."""
    letters = sorted(set(_OPTION_LINE.findall(prompt)))
    return "".join(letters) if len(letters) >= 2 else None


def final_answer(text: str, choices: str | None = None) -> FinalAnswer | None:
    """The answer a text commits to; None when it commits to none (or names a letter outside ``choices``)."""
    if not text.strip():
        return None
    if choices:
        found = _ANSWER_IS.findall(text) or _BARE_LETTER.findall(text.strip())
        letter = found[-1].upper() if found else None
        return FinalAnswer("choice", letter) if letter and letter in choices else None
    numbers = _NUMBER_MARKED.findall(text)
    if numbers:
        return FinalAnswer("number", _canonical_number(numbers[-1]))
    return FinalAnswer("text", " ".join(_WORD.findall(text.lower())))


def _canonical_number(raw: str) -> str:
    value = raw.replace(",", "")
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else repr(number)


def agree(a: FinalAnswer, b: FinalAnswer) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind != "text":
        return a.value == b.value
    words_a, words_b = set(a.value.split()), set(b.value.split())
    if not words_a or not words_b:
        return words_a == words_b
    return len(words_a & words_b) / len(words_a | words_b) >= TEXT_AGREEMENT


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text[:300]))


def confidence(logprobs: Sequence[float] | None) -> float | None:
    """Geometric-mean token probability of an answer (None without logprobs)."""
    if not logprobs:
        return None
    return math.exp(sum(logprobs) / len(logprobs))
