"""Person names: capitalised word sequences scored by a small linear model.

Candidates are runs of capitalised words (with initials and name particles between them,
``Sari J. Paavolainen``, ``Willemine ten Pas``), leading function words and titles dropped.
Each is described by sparse features: gazetteer membership of its first and last word (first
and last names of every Latin-script Faker locale, ``assets/names.json.gz``), whether they
are also ordinary words, word endings (``-sson``, ``-ová``, ``-nen``), the words and
punctuation around it, and the cue phrases people put before a name (``my name is``,
``Dear``, ``Dr.``; each starts at a word boundary, so ``gems.`` is not ``Ms.``). The weights
(``assets/heads/pii_person.json``, ``train pii-person``) are a logistic regression trained on
the train split of presidio-research and Faker sentences; scoring is a few dict lookups per
candidate.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import lru_cache

from router_extproc.encoder.assets import ASSETS_DIR
from router_extproc.pii import rx
from router_extproc.pii.spans import PiiSpan

NAMES_FILE = ASSETS_DIR / "names.json.gz"
MODEL_FILE = ASSETS_DIR / "heads" / "pii_person.json"

_WORD = rx.compile(r"\p{Lu}[\p{Ll}\p{Lm}'’]*(?:-\p{Lu}?[\p{Ll}\p{Lm}]+)*\.?")
_STRONG_CUES = r"my name is|name:|dear|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.?"
_WEAK_CUES = (r"i am|i'm|this is|hi|hello|miss|sincerely,?|regards,?|patient|customer|client|employee|contact|signed|"
              r"from|by|named|called")
_CUE = rx.compile(rf"(?i)(?:^|[^\pL\pN])(?:({_STRONG_CUES})|(?:{_WEAK_CUES}))\s*")
"""A cue phrase at a word boundary and the spaces after it: the match ends where the name it
announces begins. Group 1 takes part for the strong cues."""

PARTICLES = frozenset(["van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "le", "la", "ten", "ter", "bin", "ben", "al", "el", "y"])
STOP = frozenset(["the", "a", "an", "i", "i'm", "i'd", "i'll", "i've", "it", "its", "this", "that", "these", "those", "my", "our", "your", "his", "her", "their", "we", "you", "they", "he", "she", "if", "when", "while", "where", "what", "which", "who", "whom", "how", "why", "then", "than", "so", "but", "and", "or", "nor", "for", "yet", "as", "at", "by", "in", "on", "of", "to", "from", "with", "into", "onto", "upon", "about", "after", "before", "during", "since", "until", "unless", "although", "though", "because", "whether", "there", "here", "dear", "hi", "hello", "hey", "thanks", "thank", "please", "yes", "no", "not", "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mister", "doctor", "professor", "st", "saint", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"])
"""Capitalised words that open a sentence or title a name, never part of the name."""

MAX_WORDS = 4


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """First names, last names, and names that are also common words (lower case)."""
    data = _names_data()
    return frozenset(data["first"]), frozenset(data["last"]), frozenset(data["common_words"])


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Ordinary lower-case words (from MMLU-Pro train questions)."""
    return frozenset(_names_data()["words"])


@lru_cache(maxsize=1)
def _names_data() -> dict[str, list[str]]:
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def model() -> tuple[dict[str, float], float, float]:
    """Feature weights, bias and decision threshold of the trained person model."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return data["weights"], data["bias"], data["threshold"]


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    words: tuple[tuple[int, int], ...]  # name words and initials, in order


def candidates(text: str, budget: rx.Budget) -> list[Candidate]:
    """Maximal runs of capitalised words joined by a space, a hyphen or a name particle."""
    out: list[Candidate] = []
    run: list[tuple[int, int]] = []
    for start, end in rx.finditer(_WORD, text, budget, "capitalised words"):
        if run and not _joins(text[run[-1][1]:start]):
            out += _trimmed(text, run)
            run = []
        run.append((start, end))
    out += _trimmed(text, run)
    return out


def _joins(gap: str) -> bool:
    if gap in (" ", "-", ""):
        return True
    words = gap.split()
    return gap.startswith(" ") and gap.endswith(" ") and 0 < len(words) <= 2 and all(w in PARTICLES for w in words)


def _trimmed(text: str, run: list[tuple[int, int]]) -> list[Candidate]:
    """Split a run at stop words and titles; keep pieces of 1..MAX_WORDS words that hold a
    word longer than an initial."""
    out: list[Candidate] = []
    piece: list[tuple[int, int]] = []
    if run and _initial(text, run[0]) and _line_start(text, run[0][0]):
        run = run[1:]  # "F. Fidel Castro": an option letter, not an initial
    for start, end in [*run, (-1, -1)]:
        word = text[start:end].rstrip(".").lower() if start >= 0 else ""
        if start < 0 or word in STOP or len(piece) == MAX_WORDS:
            while piece and _initial(text, piece[-1]):
                piece.pop()
            if piece and any(not _initial(text, w) for w in piece):
                out.append(Candidate(piece[0][0], _end(text, piece[-1]), tuple(piece)))
            piece = [] if start < 0 or word in STOP else [(start, end)]
            continue
        piece.append((start, end))
    return out


def _line_start(text: str, start: int) -> bool:
    """Only spaces between the line start and ``start`` (walks back over those spaces alone,
    so the scan stays linear)."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


def _initial(text: str, word: tuple[int, int]) -> bool:
    return len(text[word[0]:word[1]].rstrip(".")) == 1


def _end(text: str, word: tuple[int, int]) -> int:
    """A name ends before a sentence full stop, not before an initial's dot."""
    start, end = word
    return end - 1 if text[end - 1] == "." and not _initial(text, word) else end


def _cues(text: str, budget: rx.Budget) -> dict[int, bool]:
    """Where a cued name would start -> whether the cue is strong."""
    out: dict[int, bool] = {}
    for (_, end), strong in rx.finditer_groups(_CUE, text, budget, "name cues"):
        out[end] = out.get(end, False) or strong != (-1, -1)
    return out


def _token_kind(word: str, first: frozenset[str], last: frozenset[str], common: frozenset[str]) -> list[str]:
    kinds = []
    if word in first:
        kinds.append("first")
    if word in last:
        kinds.append("last")
    if word.lower() in common or word.lower() in STOP:
        kinds.append("common")
    elif not kinds and word.lower() in english_words():
        kinds.append("word")
    return kinds or ["unknown"]


def features(text: str, candidate: Candidate, cues: dict[int, bool]) -> list[str]:
    """The sparse description of one candidate the model scores."""
    first, last, common = gazetteer()
    names = [text[s:e].rstrip(".") for s, e in candidate.words if not _initial(text, (s, e))]
    head, tail = names[0], names[-1]
    out = [f"n={min(len(names), 3)}", f"suf3={tail[-3:].lower()}",
           f"suf2={tail[-2:].lower()}", f"head_suf2={head[-2:].lower()}"]
    out += [f"head={k}" for k in _token_kind(head, first, last, common)]
    out += [f"tail={k}" for k in _token_kind(tail, first, last, common)] if len(names) > 1 else ["single"]
    out += [f"pair={'+'.join(_token_kind(head, first, last, common))}/{'+'.join(_token_kind(tail, first, last, common))}"]
    if len(names) < len(candidate.words):
        out.append("initial")
    if any("-" in n for n in names):
        out.append("hyphen")
    if head.isupper() and len(head) > 1:
        out.append("caps")
    before = text[max(0, candidate.start - 40):candidate.start]
    after = text[candidate.end:candidate.end + 40]
    prev_words = before.split()
    prev_char = before.rstrip(" \t")[-1:] or "^"
    next_char = after[:1] or "$"
    if prev_words:  # nothing for the start of the text: where a message starts says little about names
        out += [f"prev={_bare(prev_words[-1])}", f"prevch={_char_class(prev_char)}"]
    out += [f"next={_bare(after.split()[0]) if after.split() else '$'}", f"nextch={_char_class(next_char)}"]
    if len(prev_words) >= 2:
        out.append(f"prev2={_bare(prev_words[-2])}_{_bare(prev_words[-1])}")
    if prev_char in "^\n.!?" or before.endswith("\n"):
        out.append("sentence_start")
    if candidate.start in cues:
        out.append("cue_strong" if cues[candidate.start] else "cue")
    return out


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'()[]{}<>*").lower()[:20]


def _char_class(ch: str) -> str:
    return "alnum" if ch.isalnum() else "space" if ch.isspace() and ch != "\n" else ch


def score(feature_list: list[str]) -> float:
    weights, bias, _ = model()
    z = bias + sum(weights.get(f, 0.0) for f in feature_list)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def persons(text: str, budget: rx.Budget) -> list[PiiSpan]:
    found = candidates(text, budget)
    if not found:
        return []
    cues = _cues(text, budget)
    _, _, threshold = model()
    out = []
    for candidate in found:
        p = score(features(text, candidate, cues))
        if p >= threshold:
            out.append(PiiSpan("PERSON", candidate.start, candidate.end, round(0.6 + 0.25 * p, 3)))
    return out
