"""Street addresses: find a street line, then grow it over the rest of the address block.

A street line is one of: a house number, capitalised words and a street type (``12 Oak
Street``); a European street name with its ending and a number (``Kvarngatan 40``, ``Ida
Ekmanin tie 5``); a street type before the name (``Via Roma 131``, ``435, rue de Samson``); a
military or post-box address; or, right after an address cue (``I live at``, ``address:``), a
number and capitalised words in either order (``Jahu 80``). The block then grows over the lines
or comma-separated parts that follow when they read as unit, postcode, town, state or country
(``Apt. 316``, ``58396 Sainte Virginie``, ``Lake Laura, NS P2Y 8P9``), and over a house number
or flat just before it. A whole block is one span, scored above a person name, so a town that
is also a first name does not split it.
"""

from __future__ import annotations

from router_extproc.pii import rx
from router_extproc.pii.person import gazetteer
from router_extproc.pii.spans import PiiSpan
from router_extproc.pii.streets import (
    AMBIGUOUS_TYPES,
    COUNTRIES,
    DISTINCT_ENDINGS,
    ENDINGS,
    NOT_A_PLACE,
    PREFIXES,
    STREET_TYPES,
    UNITS,
)


def _alternation(words: list[str]) -> str:
    return "|".join(sorted((rx.escape(w) for w in words), key=len, reverse=True))


_NUM = r"\d{1,6}[A-Z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_CAP = r"\p{Lu}[\pL'’.-]*"
_PARTICLE = r"(?:de|del|della|di|da|do|dos|das|du|des|la|le|les|el|van|von|der|den|ten|ter|d'|l')"
_NAME = rf"(?:{_PARTICLE}[ \t]+)*{_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_CAP}){{0,4}}"
_START = r"(?:^|[^\pL\pN_])"
"""Where a word starts (RE2's \\b only knows ASCII letters); the character it takes is trimmed."""
_ENDING = _alternation(ENDINGS)
_UNIT = rf"(?:{_alternation(UNITS)})\.?[ \t]*#?[ \t]*\d{{1,5}}[A-Za-z]?\b"
_NOT_A_NAME = frozenset(["the", "a", "an", "most", "more", "best", "top", "my", "our", "your", "this", "that", "these", "those"])


def _street_type(types: list[str]) -> str:
    """12 Oak Street, 9448 175 Iroon Polytechniou Avenue."""
    return rf"\b{_NUM}[ \t]+(?:\d{{1,3}}(?:st|nd|rd|th)?[ \t]+)?(?:{_CAP}[ \t]+){{1,4}}(?:{_alternation(types)})\b\.?"


# (pattern, evidence the block around it must add); evidence: see _grow
_STREET_FORMS: tuple[tuple[str, float], ...] = (
    (_street_type(STREET_TYPES), 0),
    (rf"\b{_NUM}[ \t]+(?:[a-z][a-z'-]*[ \t]+){{1,2}}(?:street|st|avenue|ave|road|rd|lane|drive|boulevard)\b\.?", 0),
    (_street_type(AMBIGUOUS_TYPES), 1),
    # Kvarngatan 40, Hans-Gerd-Schuchhardt-Allee 2/6, hersnapvej 18, Ida Ekmanin tie 5, Árpád fejedelem útja 62.
    (rf"{_START}\p{{Lu}}[\pL'’-]{{3,}}(?i:{_ENDING})\.?[ \t]+{_NUM}\b", 0),
    (rf"{_START}\pL[\pL'’-]{{2,}}(?i:{_alternation(DISTINCT_ENDINGS)})\.?[ \t]+{_NUM}\b", 0),
    (rf"{_START}{_CAP}[ \t]+(?:[\pL'’.-]+[ \t]+){{0,2}}(?i:{_ENDING})[ \t]+{_NUM}\b", 0),
    # Via Roma 131, ul. Jana 783, Lagoa de Santos, 34 / 435, rue de Samson
    (rf"(?:^|[^\pL])(?:{_alternation(PREFIXES)})[ \t]+{_NAME},?[ \t]+{_NUM}\b", 0),
    (rf"\b{_NUM},?[ \t]+(?:{_alternation(PREFIXES)})[ \t]+{_NAME}", 0),
    # military addresses and post boxes; a unit alone
    (r"(?i:\b(?:PSC|Unit|CMR)\s+\d{4},?\s+Box\s+\d{4}\b)", 0),
    (r"\bUS[NS]V?\s+\p{Lu}[\pL]+(?:\s+\p{Lu}[\pL]+)?(?:,|\s)+[FAD]PO\s+A[AEP]\s+\d{5}\b", 0),
    (r"(?i:\b[FAD]PO\s+A[AEP]\s+\d{5}\b)", 0),
    (r"(?i:\b(?:P\.?\s?O\.?\s?Box|Post\s?box|Postfach|Apartado|Caixa Postal)\s+\d{1,6}\b)", 0),
    (r"\b(?:Apt|Apartment|Suite|Flat)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b", 0),
)
_STREET_LINES = rx.compile("|".join(f"({form})" for form, _ in _STREET_FORMS))
"""All street forms in one pass over the text; the group that took part says which form it was."""
_NEEDS = [need for _, need in _STREET_FORMS]
_CUE = rx.compile(
    r"(?i)(?:^|[^\pL])(?:address(?:\s+is)?|live[sd]?\s+(?:at|on|in)|living\s+(?:at|on)|located\s+at|"
    r"ship(?:ped)?\s+(?:it\s+)?to|deliver(?:ed|y)?\s+(?:it\s+)?to|send\s+(?:it|this|them|the\s+\w+)\s+to|moved\s+to|"
    r"drops?\s+(?:you|me)\s+off\s+at|taxi\s+to|pick\s+(?:me|us)\s+up\s+at|meet(?:ing)?\s+(?:me\s+|us\s+)?at|"
    r"resides?\s+at|billing|shipping|mailing)\b[:\s]*"
)
_LINE = rf"(?:{_NUM},?[ \t]+)?{_NAME},?[ \t]+{_NUM}\b|{_NUM},?[ \t]+{_NAME}"
_WEAK_STREET = rx.compile(rf"^(?:{_LINE})")
_BLOCK_START = rx.compile(rf"{_START}(?:{_LINE})")
"""A line that is a street only if the block after it has a postcode and town, or two of unit,
postcode, state and country."""

_SEPARATOR = r"(?:[ \t]*,[ \t]*(?:\n[ \t>]*)?|(?:[ \t]*\n[ \t>]*){1,2}(?:,[ \t]*)?|[ \t]+)"
_POSTCODE = (r"(?:\d{5}(?:-\d{3,4})?|\d{4}(?:[ \t]?[A-Z]{2}\b)?|\d{3}[ \t]\d{2}|\d{2}-\d{3}|\d{8}|"
             r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]-\d{4,5})\b")
_TOWN = (r"\p{Lu}[\pL'’.-]*(?:[ \t-]+(?:(?:de|del|la|le|les|sur|am|an|der|im|upon|on|en|di|da|do|nad|pod|u)[ \t]+)?"
         r"\p{Lu}[\pL'’.-]*){0,3}")
_TAIL = rx.compile(
    rf"^(?P<sep>{_SEPARATOR})(?:(?P<unit>{_UNIT})|(?P<post>{_POSTCODE}(?:[ \t]+{_TOWN}(?:[ \t]*\([\pL ]{{1,20}}\))?)?)|"
    rf"(?P<town>{_TOWN}(?:[ \t]*\([\pL ]{{1,20}}\))?(?:,?[ \t]+(?:(?P<state>[A-Z]{{2,3}}\b)|{_POSTCODE}))*))"
)
_LEAD = rx.compile(rf"(?:^|[^\w])(\d{{1,6}}[A-Za-z]?,?[ \t]+|{_UNIT}[ \t]*,?[ \t]*\n?[ \t]*)$")
_COUNTRIES = frozenset(COUNTRIES)
_YEAR = rx.compile(r"^(?:19|20)\d\d\b").public
_MAX_SEGMENTS = 6

STRONG, WEAK = 0.88, 0.65


def addresses(text: str, budget: rx.Budget) -> list[PiiSpan]:
    found: list[tuple[int, int, float]] = []  # (start, end, evidence needed)
    for (start, end), *forms in rx.finditer_groups(_STREET_LINES, text, budget, "address"):
        form = next(i for i, span in enumerate(forms) if span != (-1, -1))
        found.append((start, end, _NEEDS[form]))
    found += [(start, end, 0) for start, end in _after_cues(text, budget)]
    if "\n" in text or "," in text:
        found += [(start, end, 2) for start, end in rx.finditer(_BLOCK_START, text, budget, "address lines")]
    out: list[PiiSpan] = []
    for start, end, need in sorted(found, key=lambda f: (f[0], f[2])):
        if out and start < out[-1].end:
            continue  # inside a block already grown
        start = _trim(text, start)
        if text[start:end].split(maxsplit=2)[1:2] and text[start:end].split()[1].lower() in _NOT_A_NAME:
            continue  # "20 Most Common", "2 The VCode Pass"
        grown, evidence = _grow(text, end)
        if evidence < need:
            continue
        out.append(PiiSpan("ADDRESS", _lead(text, start), grown, STRONG if evidence >= 1 or need == 0 else WEAK))
    return out


def _trim(text: str, start: int) -> int:
    """Skip the boundary character a pattern consumed in place of a look-behind."""
    while start < len(text) and not text[start].isalnum():
        start += 1
    return start


def _after_cues(text: str, budget: rx.Budget) -> list[tuple[int, int]]:
    """A number and a name right after ``I live at``, ``address:`` (``Jahu 80``)."""
    out = []
    for _, end in rx.finditer(_CUE, text, budget, "address cues"):
        found = _WEAK_STREET.search(text[end:end + 80])
        if found is not None:
            out.append((end + found[0], end + found[1]))
    return out


def _lead(text: str, start: int) -> int:
    """Take in a house number or flat written before the street (``07960 Aqqusinersuaq 111``)."""
    window = text[max(0, start - 24):start]
    found = _LEAD.public.search(window)
    return start if found is None else start - (len(window) - found.start(1))


def _grow(text: str, end: int) -> tuple[int, float]:
    """Extend over the parts of the block that follow. Returns the new end and the evidence
    that this is an address: 2 for a postcode with a town, 1 for a unit, postcode, state or
    country, 0 for a town alone."""
    first, last, _ = gazetteer()
    evidence = 0.0
    for _ in range(_MAX_SEGMENTS):
        found = _TAIL.public.match(text[end:end + 100])  # a window: re2's pos= would re-encode the text
        if found is None:
            break
        town, post = found.group("town"), found.group("post")
        if town is not None:
            if not any(c in found.group("sep") for c in ",\n"):
                break  # "Hamburg. Kontakt": a town follows a comma or a line break, not a space
            words = town.replace(",", " ").split()
            if words[0].lower() in NOT_A_PLACE or (len(words) == 2 and words[0] in first and words[1] in last
                                                    and "\n" in found.group(0) and words[0] not in _COUNTRIES):
                break  # a greeting, a new field or a person's name: the block has ended
        end += found.end()
        if post:
            evidence += 2 if any(c.isalpha() for c in post) and not _YEAR.match(post) else 1
        elif found.group("unit") or found.group("state") or (town and town.split()[0].strip(",") in _COUNTRIES):
            evidence += 1
    return end, evidence
