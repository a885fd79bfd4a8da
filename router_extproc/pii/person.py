"""Person names: capitalised word sequences judged by a first/last-name gazetteer and cues.

The gazetteer (``assets/names.json.gz``, from Faker's locale data, ``train names``) knows
first and last names; words that are also ordinary English words (``Will``, ``May``, ``Grant``)
are listed apart and need a cue. Cues are the words people put before a name (``my name is``,
``Dear``, ``Dr.``, ``patient``); every cue starts at a word boundary, so ``gems.`` is not
``Ms.``.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache

from ..encoder.assets import ASSETS_DIR
from . import rx
from .spans import PiiSpan

NAMES_FILE = ASSETS_DIR / "names.json.gz"

_CAPITALISED = rx.compile(r"\p{Lu}[\p{Ll}\p{Lm}]+(?:['’-]\p{Lu}?[\p{Ll}\p{Lm}]+)?")
_STRONG_CUES = r"my name is|name:|dear|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.?"
_WEAK_CUES = (r"i am|i'm|this is|hi|hello|miss|sincerely,?|regards,?|patient|customer|client|employee|contact|signed|"
              r"from|by")
_CUE = rx.compile(rf"(?i)(?:^|[^\pL\pN])(?:({_STRONG_CUES})|(?:{_WEAK_CUES}))\s*")
"""A cue phrase at a word boundary (``gems.`` is not ``Ms.``) and the spaces after it: the match
ends where the name it announces begins. Group 1 takes part for the strong cues."""


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """First names, last names, and names that are also common words."""
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return frozenset(data["first"]), frozenset(data["last"]), frozenset(data["common_words"])


def _cues(text: str, budget: rx.Budget) -> dict[int, bool]:
    """Where a cued name would start -> whether the cue is strong."""
    out: dict[int, bool] = {}
    for (_, end), strong in rx.finditer_groups(_CUE, text, budget, "name cues"):
        out[end] = out.get(end, False) or strong != (-1, -1)
    return out


def persons(text: str, budget: rx.Budget) -> list[PiiSpan]:
    first, last, common = gazetteer()
    words = list(rx.finditer(_CAPITALISED, text, budget, "capitalised words"))
    if not words:
        return []
    cues = _cues(text, budget)
    out = []
    i = 0
    while i < len(words):
        start, end = words[i]
        token = text[start:end]
        cue = start in cues
        j = i
        while j + 1 < len(words) and text[words[j][1]:words[j + 1][0]] in (" ", "-") and j - i < 2:
            j += 1
        parts = [text[a:b] for a, b in words[i:j + 1]]
        is_first = token in first and (token.lower() not in common or cue)
        has_last = len(parts) > 1 and (parts[-1] in last or parts[-1] in first) and parts[-1].lower() not in common
        if is_first and (has_last or cue):
            out.append(PiiSpan("PERSON", start, words[j][1] if has_last else end, 0.85 if cue else 0.7))
            i = j + 1
            continue
        if (cue and has_last or cues.get(start, False)) and token.lower() not in common:
            out.append(PiiSpan("PERSON", start, words[j][1], 0.6))
            i = j + 1
            continue
        i += 1
    return out
