"""Find PII with character spans, so actions can route, block or redact exactly.

Structured types are found by patterns and then *validated* (Luhn and issuer ranges for
cards, mod-97 and country length for IBANs, SSA rules for SSNs, address parsing for IPs,
known key formats and entropy for secrets): a loose regex would flag every long number in a
maths question. Person names use a first/last-name gazetteer (from Faker's locale data,
shipped in assets/names.json.gz) with context cues; street addresses a house-number +
street-type pattern. Everything runs on the raw text, so spans index the original prompt.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..encoder.assets import ASSETS_DIR
from . import validators as v

PII_TYPES = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET", "PERSON", "ADDRESS")
NAMES_FILE = ASSETS_DIR / "names.json.gz"


@dataclass(frozen=True)
class PiiSpan:
    type: str
    start: int
    end: int
    score: float

    def as_dict(self) -> dict:
        return {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 2)}


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
_SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_SSN_BARE = re.compile(r"(?<!\d)(\d{3})(\d{2})(\d{4})(?!\d)")
_SSN_CUE = re.compile(r"\b(?:ssn|social security(?: number| no\.?)?)\b", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_CUE = re.compile(r"(?:version|ver\.?|v)\s*$", re.IGNORECASE)
_PHONE = re.compile(  # formatted numbers: separators between fixed groups, or a + / ( prefix
    r"(?<![\w+.])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{3}[.-])\d{3}[.-]\d{4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?!\w|\.\d)"
    r"|(?<![\w+])(?:\+|00)\d{1,3}(?:[ .-]?\(?\d{1,6}\)?){2,5}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?!\w|\.\d)"
)
_PHONE_PLAIN = re.compile(r"(?<![\w+.])\+?\d(?:[ .-]?\d){9,14}(?!\w|\.\d)")
_NUMBER_NEARBY = re.compile(r"\d[.,]?\s?$")
_PHONE_CUE = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|call me|call us|text me|whatsapp|fax|reach me)\b", re.IGNORECASE)
_SECRETS = [
    re.compile(r"\bsk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
]
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b(?:api[_-]?key|secret|token|password|passwd|pwd|access[_-]?key)\b\s*[:=]\s*['\"]?([^\s'\"]{8,})"
)
_ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){0,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Crescent|Close|Row|Strasse|Straße)\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]+)?"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)?")
_ADDRESSES = [
    _ADDRESS,
    re.compile(r"\b[A-ZÀ-Þ][\w'-]*(?:katu|tie|gasse|straße|strasse|str\.|weg|plein|laan|gade|vej|väg|gatan|utca|u\.)"
               r"\s+\d{1,4}[A-Za-z]?\b(?:,?\s+(?:Apt|Suite|Unit)\.?\s*\w+)?"),
    re.compile(r"\b(?:Rua|Avenida|Av\.|Calle|Carrer|Via|Viale|Rue|Chemin|Piazza|Plaza|Ulica|ul\.)\s+[\w .'-]{2,40}?,?\s*\d{1,5}\b"),
    re.compile(r"\b(?:Apt|Apartment|Suite|Unit)\.?\s+\d{1,5}[A-Za-z]?\b"),
    re.compile(r"\b(?:PSC|Unit)\s+\d{4},\s+Box\s+\d{4}\b"),
]
_STRONG_NAME_CUE = re.compile(r"(?i)(?:my name is|name:|dear|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.?)\s*$")
_NAME_CUE = re.compile(
    r"(?i)(?:my name is|i am|i'm|this is|dear|hi|hello|mr\.?|mrs\.?|ms\.?|miss|dr\.?|prof\.?|sincerely,?|regards,?|"
    r"patient|customer|client|employee|contact|signed|from|by|name:)\s*$"
)


def _entropy(text: str) -> float:
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return frozenset(data["first"]), frozenset(data["last"]), frozenset(data["common_words"])


class PiiDetector:
    def __init__(self, types: tuple[str, ...] | frozenset[str] = PII_TYPES) -> None:
        self.types = frozenset(types)
        if "PERSON" in self.types:
            _names()  # load at start, not on the first request

    def find(self, text: str) -> list[PiiSpan]:
        spans: list[PiiSpan] = []
        t = self.types
        if "EMAIL" in t:
            spans += [PiiSpan("EMAIL", m.start(), m.end(), 0.99) for m in _EMAIL.finditer(text)]
        if "SECRET" in t:
            spans += self._secrets(text)
        if "CREDIT_CARD" in t:
            spans += self._cards(text)
        if "IBAN" in t:
            spans += [PiiSpan("IBAN", m.start(), m.end(), 0.99) for m in _IBAN.finditer(text)
                      if v.iban_valid(m.group(0).replace(" ", ""))]
        if "US_SSN" in t:
            spans += self._ssns(text)
        if "IP_ADDRESS" in t:
            spans += self._ips(text)
        if "PHONE" in t:
            spans += self._phones(text, spans)
        if "ADDRESS" in t:
            spans += [PiiSpan("ADDRESS", m.start(), m.end(), 0.7) for p in _ADDRESSES for m in p.finditer(text)]
        if "PERSON" in t:
            spans += self._persons(text)
        return _resolve_overlaps(spans)

    def _cards(self, text: str) -> list[PiiSpan]:
        """Luhn-valid 13-19 digits, issuer prefix plausible, written contiguous or in even groups."""
        out = []
        for m in _CARD.finditer(text):
            groups = re.split(r"[ -]", m.group(0))
            digits = "".join(groups)
            even = len(groups) == 1 or all(len(g) == 4 for g in groups[:-1]) or [len(g) for g in groups] == [4, 6, 5]
            if 13 <= len(digits) <= 19 and even and v.luhn_valid(digits) and v.card_prefix_plausible(digits):
                out.append(PiiSpan("CREDIT_CARD", m.start(), m.end(), 0.95))
        return out

    def _ssns(self, text: str) -> list[PiiSpan]:
        out = [PiiSpan("US_SSN", m.start(), m.end(), 0.85) for m in _SSN.finditer(text)
               if v.ssn_valid(m.group(1), m.group(3), m.group(4))]
        if _SSN_CUE.search(text):
            out += [PiiSpan("US_SSN", m.start(), m.end(), 0.7) for m in _SSN_BARE.finditer(text)
                    if v.ssn_valid(m.group(1), m.group(2), m.group(3))]
        return out

    def _ips(self, text: str) -> list[PiiSpan]:
        out = []
        for m in _IPV4.finditer(text):
            if v.ip_valid(m.group(0)) and not _VERSION_CUE.search(text[max(0, m.start() - 10) : m.start()]):
                out.append(PiiSpan("IP_ADDRESS", m.start(), m.end(), 0.9))
        for m in _IPV6.finditer(text):
            if m.group(0).count(":") >= 2 and any(c.isalnum() for c in m.group(0)) and v.ip_valid(m.group(0)):
                out.append(PiiSpan("IP_ADDRESS", m.start(), m.end(), 0.9))
        return out

    def _phones(self, text: str, found: list[PiiSpan]) -> list[PiiSpan]:
        """Formatted numbers anywhere; bare digit runs only near a cue word (``call``, ``phone``)."""
        taken = [(s.start, s.end) for s in found]
        out: list[PiiSpan] = []
        cue = bool(_PHONE_CUE.search(text))
        for pattern, needs_cue in ((_PHONE, False), (_PHONE_PLAIN, True)):
            if needs_cue and not cue:
                continue
            for m in pattern.finditer(text):
                digits = re.sub(r"\D", "", m.group(0).split("x")[0].split("ext")[0])
                overlaps = any(a < m.end() and m.start() < b for a, b in taken + [(o.start, o.end) for o in out])
                in_a_list = _NUMBER_NEARBY.search(text[max(0, m.start() - 3) : m.start()]) or re.match(
                    r"\s?[.,]?\d", text[m.end() : m.end() + 3])
                if 10 <= len(digits) <= 15 and not overlaps and not in_a_list:
                    out.append(PiiSpan("PHONE", m.start(), m.end(), 0.8 if cue else 0.65))
        return out

    def _secrets(self, text: str) -> list[PiiSpan]:
        out = [PiiSpan("SECRET", m.start(), m.end(), 0.95) for p in _SECRETS for m in p.finditer(text)]
        for m in _ASSIGNED_SECRET.finditer(text):
            value = m.group(1)
            if _entropy(value) >= 3.0 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                out.append(PiiSpan("SECRET", m.start(1), m.end(1), 0.75))
        return out

    def _persons(self, text: str) -> list[PiiSpan]:
        first, last, common = _names()
        out = []
        words = [m for m in _WORD.finditer(text) if m.group(0)[0].isupper() and m.group(0)[1:2].islower()]
        i = 0
        while i < len(words):
            w = words[i]
            token = w.group(0)
            cue = bool(_NAME_CUE.search(text[max(0, w.start() - 20) : w.start()]))
            j = i
            while j + 1 < len(words) and text[words[j].end() : words[j + 1].start()] in (" ", "-") and j - i < 2:
                j += 1
            parts = [x.group(0) for x in words[i : j + 1]]
            is_first = token in first and (token.lower() not in common or cue)
            has_last = len(parts) > 1 and (parts[-1] in last or parts[-1] in first) and parts[-1].lower() not in common
            if is_first and (has_last or cue):
                end = words[j].end() if has_last else w.end()
                out.append(PiiSpan("PERSON", w.start(), end, 0.85 if cue else 0.7))
                i = j + 1
                continue
            strong_cue = bool(_STRONG_NAME_CUE.search(text[max(0, w.start() - 20) : w.start()]))
            if (cue and has_last or strong_cue) and token.lower() not in common:
                out.append(PiiSpan("PERSON", w.start(), words[j].end(), 0.6))
                i = j + 1
                continue
            i += 1
        return out


def _resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Keep the higher-scoring span where two overlap (a card is not also a phone)."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
