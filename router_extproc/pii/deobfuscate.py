"""Undo the obfuscations that hide PII from patterns, keeping a map back to the original text.

Two passes, each linear in the text:

1. characters: invisible and format characters (zero-width, bidi, soft hyphen, variation
   selectors) removed; Unicode tag characters decoded to the ASCII they smuggle; digits of any
   script made ASCII; compatibility forms NFKC-folded (full-width ``ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ``,
   styled letters, ligatures). Decided once per distinct character, applied with
   ``str.translate``.
2. spaced digits: runs of seven or more single digits with separators between them
   (``5 3 6 - 2 2 - 1 2 3 4``, ``4.1.1.1.1...``) are joined: spaces always go, punctuation
   goes when it separates every digit (dotted digits) and stays as group separators otherwise;
   spaced letters: runs of six or more single characters with one to three spaces between them
   (``j a n e @ c o r p . c o m``) lose their spaces.

Detectors run on the result; ``to_original`` maps a span back (a span over a removed character
covers it), and ``tricks_in`` names the passes that changed characters inside a span, so a
finding can say how it was hidden. ASCII text without spaced digits costs two checks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from router_extproc.pii import rx

INVISIBLE = "invisible_characters"
TAGS = "unicode_tags"
COMPAT = "compatibility_forms"
DIGITS = "unicode_digits"
SPACED = "spaced_digits"
SPACED_LETTERS = "spaced_letters"

_EXTRA_INVISIBLE = frozenset(chr(c) for c in (0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x180E, *range(0xFE00, 0xFE10),
                                              *range(0xE0100, 0xE01F0)))

_SPACED_RUN = rx.compile(r"(?:\+[ \t]*)?\d(?:(?:[ \t]+|[ \t]*[./_-][ \t]*)\d){6,}")
_ADJACENT_DIGITS = rx.compile(r"\d\d")
_SPACED_SINGLES = rx.compile(r"\S(?: {1,3}\S){5,}")


@dataclass(frozen=True)
class Deobfuscated:
    """The text detectors read, and where each of its characters came from."""

    text: str
    origin: np.ndarray | None = None
    """``origin[i]`` is the original index of ``text[i]``; None when the text is unchanged."""
    marks: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """Per trick, the original ranges it changed: sorted, disjoint (starts, ends)."""

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.origin is None:
            return start, end
        return int(self.origin[start]), int(self.origin[end - 1]) + 1

    def tricks_in(self, start: int, end: int) -> list[str]:
        """Tricks that changed characters of the original range ``[start, end)``."""
        found = []
        for trick, (starts, ends) in self.marks.items():
            first = int(np.searchsorted(ends, start, side="right"))  # the first range ending after start
            if first < len(starts) and starts[first] < end:
                found.append(trick)
        return found


def deobfuscate(text: str, budget: rx.Budget) -> Deobfuscated:
    chars = _characters(text)
    joins = [(trick, found) for trick, found in ((SPACED, _spaced_digits(chars.text, budget)),
                                                 (SPACED_LETTERS, _spaced_letters(chars.text, budget)))
             if found is not None]
    if not joins:
        return chars
    keep = np.logical_and.reduce([found[0] for _, found in joins])
    origin = np.flatnonzero(keep)
    if chars.origin is not None:
        origin = chars.origin[origin]
    marks = dict(chars.marks)
    named: dict[str, list[tuple[int, int]]] = {}
    for trick, (_, runs) in joins:
        for start, end in runs:  # single digits and signs spaced out are spaced digits, whoever joined them
            letters = trick == SPACED_LETTERS and any(ch.isalpha() for ch in chars.text[start:end])
            named.setdefault(SPACED_LETTERS if letters else SPACED, []).append((start, end))
    for trick, runs in named.items():
        merged: list[list[int]] = []
        for start, end in sorted(chars.to_original(s, e) for s, e in runs):  # sorted and disjoint
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        original_runs = np.array(merged, dtype=np.int64)
        marks[trick] = (original_runs[:, 0], original_runs[:, 1])
    codepoints = _codepoints(chars.text)[keep]
    return Deobfuscated(codepoints.tobytes().decode("utf-32-le"), origin, marks)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


@lru_cache(maxsize=1 << 16)
def _replacement(ch: str) -> tuple[str, str] | None:
    """What one non-ASCII character becomes, and the trick it undoes (None: unchanged)."""
    code = ord(ch)
    if 0xE0020 <= code <= 0xE007E:
        return chr(code - 0xE0000), TAGS
    if ch in _EXTRA_INVISIBLE or unicodedata.category(ch) == "Cf":
        return "", INVISIBLE
    folded = unicodedata.normalize("NFKC", ch)
    digit = unicodedata.decimal(ch, None)
    if digit is not None and folded != str(digit):
        return str(digit), DIGITS
    if folded != ch:
        return folded, COMPAT
    return None


def _characters(text: str) -> Deobfuscated:
    if text.isascii():
        return Deobfuscated(text)
    table: dict[int, str] = {}
    trick_of: dict[int, str] = {}
    for ch in set(text):
        if ch.isascii():
            continue
        found = _replacement(ch)
        if found is not None:
            table[ord(ch)], trick_of[ord(ch)] = found
    if not table:
        return Deobfuscated(text)
    codepoints = _codepoints(text)
    keys = np.array(sorted(table), dtype=np.uint32)
    index = np.minimum(np.searchsorted(keys, codepoints), len(keys) - 1)
    changed = keys[index] == codepoints
    positions = np.flatnonzero(changed)
    key_tricks = np.array([trick_of[int(k)] for k in keys])
    tricks_at = key_tricks[index[positions]]
    marks = {}
    for trick in sorted(set(trick_of.values())):
        at = positions[tricks_at == trick]
        marks[trick] = (at, at + 1)
    lengths = np.array([len(table[int(k)]) for k in keys], dtype=np.int64)
    origin = None
    if (lengths != 1).any():
        per_char = np.ones(len(codepoints), dtype=np.int64)
        per_char[positions] = lengths[index[positions]]
        origin = np.repeat(np.arange(len(codepoints), dtype=np.int64), per_char)
    return Deobfuscated(text.translate(table), origin, marks)


def _spaced_digits(text: str, budget: rx.Budget) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
    """Which characters to keep once spaced-digit runs are joined (None: nothing to join)."""
    runs = []
    for start, end in rx.finditer(_SPACED_RUN, text, budget, "spaced digits"):
        if start > 0 and text[start - 1].isalnum():  # the first digit ends a word ("c1 4 1 1 1 ..."): not ours
            start += 1
            while start < end and not text[start].isdigit():
                start += 1
        if sum(ch.isdigit() for ch in text[start:end]) >= 7:
            runs.append((start, end))
    if not runs:
        return None
    codepoints = _codepoints(text)
    keep = np.ones(len(codepoints), dtype=bool)
    for start, end in runs:
        run = codepoints[start:end]
        digit = (run >= 48) & (run <= 57)
        punct = (run == 46) | (run == 47) | (run == 95) | (run == 45)  # . / _ -
        without_spaces = text[start:end].replace(" ", "").replace("\t", "")
        dotted = _ADJACENT_DIGITS.search(without_spaces) is None  # punctuation between every two digits
        keep[start:end] = digit if dotted else digit | punct
        keep[start] = True  # a leading "+" stays, the spaces after it go
    return keep, runs


def _spaced_letters(text: str, budget: rx.Budget) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
    """Which characters to keep once runs of single characters between single spaces lose
    their spaces (None: no such run). A run must stand alone: no letter or digit right before or
    after it (the tail or head of a word is not a single)."""
    runs: list[tuple[int, int]] = []
    for start, end in rx.finditer(_SPACED_SINGLES, text, budget, "spaced letters"):
        if start > 0 and text[start - 1].isalnum():
            start = text.index(" ", start) + 1  # the first single was the tail of a word
            start += len(text[start:end]) - len(text[start:end].lstrip(" "))
        if end < len(text) and text[end].isalnum() and start < end:
            end = text.rindex(" ", start, end)  # the last single was the head of a word
            end -= len(text[start:end]) - len(text[start:end].rstrip(" "))
        if sum(not ch.isspace() for ch in text[start:end]) >= 6:  # still six singles
            runs.append((start, end))
    if not runs:
        return None
    keep = np.ones(len(text), dtype=bool)
    codepoints = _codepoints(text)
    for start, end in runs:
        keep[start:end] = codepoints[start:end] != 32  # the spaces between the singles go
    return keep, runs
