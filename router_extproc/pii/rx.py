"""Linear-time matching with a per-scan work budget.

Every pattern that reads client text is compiled by RE2 (``google-re2``): matching is linear
in the text, whatever the pattern and input, so no message can make a regex backtrack. RE2
has no look-around and no back-references: patterns match a wider candidate and Python checks
boundaries on the characters next to the match (O(1) per match, never a rescan of the text).
Counted repetitions stay small (``{0,63}`` over a class multiplies RE2's DFA states until it
falls back to its slower NFA); lengths are checked on the match instead.

Matches are read through RE2's ``Match`` on the UTF-8 bytes, encoded once per text, with byte
offsets turned into character offsets by one precomputed table: the ``re2`` module's own
``finditer`` re-derives offsets in Python for every match, five times the cost per match.

RE2 bounds the time per character; ``Budget`` bounds the Python work per text: every
candidate a pattern yields is counted, and past the limit iteration stops and the budget
records why. A scan whose budget ran out is *incomplete* and says so; it never returns a
silently shortened list.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import re2

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 32 << 20  # DFA room for the larger alternations before RE2 falls back to its NFA
_UNANCHORED = re2._Anchor.UNANCHORED
_NO_MATCH = (-1, -1)

Span = tuple[int, int]


class Pattern:
    """An RE2 pattern (leftmost-first like Python's ``re``; ``(?i)`` for case, ``\\pL`` for
    Unicode letters, ``\\b`` is an ASCII word boundary)."""

    def __init__(self, source: str) -> None:
        self.public = re2.compile(source, _OPTIONS)
        self._re2 = self.public._regexp
        self.groups = self.public.groups

    def _match(self, data: bytes, pos: int, end: int) -> list[Span] | None:
        spans = self._re2.Match(_UNANCHORED, data, pos, end)
        return None if spans[0] == _NO_MATCH else spans

    def search(self, text: str) -> Span | None:
        """The first match's character span in a (short) text."""
        prepared = _prepare(text)
        found = self._match(prepared.data, 0, len(prepared.data))
        return None if found is None else prepared.chars(found[0])

    def fullmatch(self, text: str) -> bool:
        return self.public.fullmatch(text) is not None

    def sub(self, replace, text: str) -> str:
        return self.public.sub(replace, text)


escape = re2.escape


def compile(pattern: str) -> Pattern:
    return Pattern(pattern)


@dataclass(frozen=True)
class _Prepared:
    """A text's UTF-8 bytes and, when it is not ASCII, the character index of every byte."""

    data: bytes
    char_at: np.ndarray | None

    def chars(self, span: Span) -> Span:
        if self.char_at is None:
            return span
        return int(self.char_at[span[0]]), int(self.char_at[span[1]])


def _prepare(text: str) -> _Prepared:
    if text.isascii():
        return _Prepared(text.encode("ascii"), None)
    data = text.encode("utf-8", "surrogatepass")
    starts = (np.frombuffer(data, dtype=np.uint8) & 0xC0) != 0x80  # the first byte of each character
    char_at = np.empty(len(data) + 1, dtype=np.int32)
    char_at[:-1] = np.cumsum(starts) - 1
    char_at[-1] = len(text)
    return _Prepared(data, char_at)


_last = threading.local()


def _prepared(text: str) -> _Prepared:
    """``_prepare``, remembered for the last text this thread scanned: every pattern of one scan
    reads the same text. ``forget`` drops it when the scan is over (a megabyte body's tables
    must not outlive its request)."""
    cached = getattr(_last, "entry", None)
    if cached is None or cached[0] is not text:
        cached = (text, _prepare(text))
        _last.entry = cached
    return cached[1]


def forget() -> None:
    _last.entry = None


MAX_CANDIDATES = 20_000
"""Units of Python work per scanned text (a regex match handed to Python is one)."""


@dataclass
class Budget:
    """Work left for one scan; ``exhausted`` names the bounds that were hit."""

    limit: int = MAX_CANDIDATES
    exhausted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.candidates = self.limit

    def spend(self, what: str, n: int = 1) -> bool:
        """Take ``n`` units; False (and the reason recorded) once the budget is gone."""
        self.candidates -= n
        if self.candidates < 0:
            if not self.exhausted:
                self.exhausted.append(f"more than {self.limit} candidates ({what})")
            return False
        return True

    def exceed(self, reason: str) -> None:
        """Record a bound hit elsewhere (text length, decoded blob size)."""
        self.exhausted.append(reason)

    @property
    def left(self) -> bool:
        return self.candidates >= 0


def finditer(pattern: Pattern, text: str, budget: Budget, what: str) -> Iterator[Span]:
    """Character spans of the matches of ``pattern`` in ``text``, one budget unit each;
    stops (and marks the budget) at the limit."""
    for spans in finditer_groups(pattern, text, budget, what):
        yield spans[0]


def finditer_groups(pattern: Pattern, text: str, budget: Budget, what: str) -> Iterator[list[Span]]:
    """Like ``finditer``, with the span of every group (``(-1, -1)`` for a group that did not take part)."""
    if not budget.left:
        return
    prepared = _prepared(text)
    data, end, pos = prepared.data, len(prepared.data), 0
    while pos <= end:
        found = pattern._match(data, pos, end)
        if found is None:
            return
        if not budget.spend(what):
            return
        yield [prepared.chars(s) if s != _NO_MATCH else s for s in found]
        pos = found[0][1] if found[0][1] > pos else pos + 1
