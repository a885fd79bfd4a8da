"""Phone numbers in national and international formats.

A linear-time pattern finds runs of digit groups with the separators phone numbers use
(space, dot, dash, slash, parentheses, a leading ``+`` or ``00``, an extension). Each run is
then read as groups, and every contiguous sub-run of groups is judged by its shape:

- strong shapes stand alone: ``+`` or ``00`` with 8-15 digits, North American 3-3-4 (with or
  without a country 1 or parentheses), an area code in parentheses, a national trunk ``0``
  followed by 2-5 digit groups (``0490 75 40 81``, ``01.84.17.61.18``);
- weaker shapes (``450 0840``, ``60-56-85-91``, ``9498777106``) need a cue word next to them
  (``phone``, ``call me``, ``fax``, ``mobile``, ``office``...);
- dates and date-times (``2024-03-05``, ``05/03/2024 10``), decimals, year ranges and digit runs
  inside longer numbers are never phones.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from router_extproc.pii import rx
from router_extproc.pii.spans import PiiSpan

_CANDIDATE = rx.compile(r"(?:\+|\b00 ?)?\(?\d[\d ()./-]{5,}\d\)?(?: ?(?:x|ext\.?|#) ?\d{1,5}\b)?")
_CUES = (r"phone|telephone|tel|mobile|cell|cellphone|fax|call|calls|called|text me|sms|whatsapp|contact|reach|dial|"
         r"hotline|landline|office|desk|ring|(?:my|contact|phone|mobile|cell|home|work|office|direct)\s+(?:number|no\.?|#)|"
         r"number is|tlf|tél|telefon|telefono|teléfono|handy")
_CUE = rx.compile(rf"(?i)(?:^|[^\pL\pN])(?:{_CUES})\b")
_CUE_REACH = 32
"""Characters (no digit among them) between a cue word and the number it announces."""
_CUE_AFTER = rx.compile(r"(?i)^[\s,;:()\-–]{0,3}(?:office|fax|mobile|cell|home|work|desk|phone|tel|landline|direct)\b")


_MAX_GROUPS = 8
"""Digit groups one phone number spans at most (``+1 (555) 123 45 67 x89`` has six)."""


@dataclass(frozen=True)
class _Group:
    digits: str
    start: int  # offset in the text of the first digit
    end: int
    paren: bool  # written as "(0xx)"
    separator: str  # the characters between this group and the one before ("" for the first)

    @property
    def soft(self) -> bool:
        """A separator a phone number uses between its groups (not "., " or "  ")."""
        core = self.separator.replace("(", "").replace(")", "").strip()
        return core in ("", ".", "-", "/") and len(self.separator) <= 4 and "  " not in self.separator


class _Cues:
    """Where cue words end, found in one pass over the text the first time a number needs them."""

    def __init__(self, text: str, budget: rx.Budget) -> None:
        self._text, self._budget = text, budget
        self._ends: list[int] | None = None

    def before(self, start: int) -> bool:
        if self._ends is None:
            self._ends = [end for _, end in rx.finditer(_CUE, self._text, self._budget, "phone cues")]
        index = bisect_right(self._ends, start) - 1
        if index < 0 or start - self._ends[index] > _CUE_REACH:
            return False
        return not any(ch.isdigit() for ch in self._text[self._ends[index]:start])

    def after(self, end: int) -> bool:
        return _CUE_AFTER.search(self._text[end:end + 16]) is not None


def phones(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out: list[PiiSpan] = []
    cues = _Cues(text, budget)
    for start, end in rx.finditer(_CANDIDATE, text, budget, "phone"):
        if text[start] == "+" and _operand_before(text, start):
            start += 1  # "12345 +67890": an addition, not an international prefix
        if _inside_a_word_or_number(text, start, end):
            continue
        groups, plus, extension_end = _parse(text[start:end], start)
        if len(groups) > 1 and not budget.spend("phone groups", len(groups) - 1):
            break  # a long table of numbers costs in proportion to its groups
        out += _best_runs(text, cues, groups, plus, extension_end)
    return out


def _operand_before(text: str, start: int) -> bool:
    before = text[max(0, start - 3):start].rstrip()
    return bool(before) and (before[-1].isdigit() or before[-1] in ")]=")


def _inside_a_word_or_number(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    decimal_before = before in ".," and start >= 2 and text[start - 2].isdigit()
    decimal_after = after in ".," and end + 1 < len(text) and text[end + 1].isdigit()
    return before.isalnum() or before in "_+" or decimal_before or after.isalnum() or after in "_%" or decimal_after


def _parse(candidate: str, offset: int) -> tuple[list[_Group], bool, int | None]:
    """Digit groups of one candidate, whether it began with ``+``/``00``, and where an
    extension (``x123``) ends."""
    plus = candidate.startswith("+")
    raw: list[tuple[int, int, str]] = []  # (start, end, separator before)
    i, separator, extension_end = 0, "", None
    while i < len(candidate):
        ch = candidate[i]
        if ch.isdigit():
            j = i
            while j < len(candidate) and candidate[j].isdigit():
                j += 1
            raw.append((i, j, separator))
            separator, i = "", j
        elif ch in "xe#":
            extension_end = offset + len(candidate)
            break
        else:
            separator += ch
            i += 1
    groups = []
    for index, (start, end, before) in enumerate(raw):
        after = raw[index + 1][2] if index + 1 < len(raw) else candidate[end:end + 1]
        paren = before.endswith("(") and after.startswith(")")
        groups.append(_Group(candidate[start:end], offset + start, offset + end, paren, before if index else ""))
    if not plus and groups and groups[0].digits.startswith("00") and len(groups[0].digits) <= 5:
        plus = True  # 00 is the international prefix
    return groups, plus, extension_end


def _best_runs(text: str, cues: _Cues, groups: list[_Group], plus: bool, extension_end: int | None) -> list[PiiSpan]:
    """Leftmost-longest sub-runs of at most ``_MAX_GROUPS`` groups that read as phone numbers;
    a run never crosses a separator phone numbers do not use."""
    out: list[PiiSpan] = []
    i = 0
    while i < len(groups):
        if i > 0 and groups[i].separator.strip(" (") not in ("",):
            i += 1
            continue  # starts inside "12-34" or "1.5"
        last = i + 1
        while last < len(groups) and last - i < _MAX_GROUPS and groups[last].soft:
            last += 1
        digits = [0]
        for group in groups[i:last]:
            digits.append(digits[-1] + len(group.digits))
        for j in range(last, i, -1):
            if j < len(groups) and groups[j].separator.strip(" )(") not in ("",):
                continue  # ends inside "12-34"
            if not 7 <= digits[j - i] <= 15:
                continue
            run = groups[i:j]
            score = _score(cues, run, plus and i == 0)
            if score:
                end = extension_end if (j == len(groups) and extension_end) else run[-1].end
                if end < len(text) and text[end] == ")" and run[-1].paren:
                    end += 1
                start = run[0].start - (1 if run[0].paren else 0)
                out.append(PiiSpan("PHONE", _with_plus(text, start), end, score))
                i = j
                break
        else:
            i += 1
    return out
def _with_plus(text: str, start: int) -> int:
    """Extend a span over a ``+`` (and the space after it) just before it."""
    if start >= 1 and text[start - 1] == "+":
        return start - 1
    if start >= 2 and text[start - 1] == " " and text[start - 2] == "+":
        return start - 2
    return start


def _score(cues: _Cues, run: list[_Group], plus: bool) -> float:
    lens = [len(g.digits) for g in run]
    digits = sum(lens)
    if not 7 <= digits <= 15 or _dateish(run) or _decimalish(run):
        return 0.0
    separators = {g.separator.strip(" ()") or " " for g in run[1:] if not g.paren}
    consistent = len(separators) <= 1
    if plus and digits >= 8:
        return 0.9
    if _nanp(run, lens):
        return 0.85
    area_code = run[0].paren or (len(run) > 2 and run[1].paren and lens[0] <= 3)  # "(0161) ...", "1 (555) ..."
    if area_code and digits >= 8 and len(run) >= 2 and lens[0] <= 5:
        return 0.8
    trunk = run[0].digits.startswith("0") and not run[0].digits.startswith("00")
    if trunk and len(run) >= 3 and 9 <= digits <= 12 and all(2 <= n <= 5 for n in lens) and consistent:
        return 0.75
    if (len(run) >= 2 and min(lens[1:]) >= 2 or 8 <= digits <= 12) and (cues.before(run[0].start) or cues.after(run[-1].end)):
        return 0.7
    return 0.0


def _nanp(run: list[_Group], lens: list[int]) -> bool:
    """North American numbers: [1] NXX NXX XXXX, the area code optionally in parentheses."""
    if lens[:1] == [1] and run[0].digits == "1":
        run, lens = run[1:], lens[1:]
    return lens == [3, 3, 4] and run[0].digits[0] in "23456789" and run[1].digits[0] in "23456789"


def _dateish(run: list[_Group]) -> bool:
    """Dates (ISO, day-month-year, month-day-year) at the start of a run, and year ranges."""
    values = [g.digits for g in run]
    if len(values) >= 3 and all(g.separator.strip() in ("-", "/", ".") for g in run[1:3]):  # 2024-03-05, 05/03/24
        a, b, c = values[:3]
        if len(a) == 4 and _year(a) and _upto(b, 12) and _upto(c, 31):
            return True
        if len(c) in (2, 4) and _upto(a, 31) and _upto(b, 31) and len(a) <= 2 and len(b) <= 2 and (len(c) == 2 or _year(c)):
            return True
    return bool(len(values) == 2 and all(len(v) == 4 and _year(v) for v in values))


def _year(value: str) -> bool:
    return value[:2] in ("19", "20")


def _upto(value: str, limit: int) -> bool:
    return 1 <= len(value) <= 2 and 1 <= int(value) <= limit


def _decimalish(run: list[_Group]) -> bool:
    return len(run) == 2 and run[1].separator == "."
