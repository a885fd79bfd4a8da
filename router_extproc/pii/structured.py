"""Structured PII: e-mail, card, IBAN, US SSN, IP address, secrets.

Each is a linear-time candidate pattern and a *validator* (Luhn and issuer ranges for cards,
mod-97 and country length for IBANs, SSA rules for SSNs, address parsing for IPs, known key
formats and entropy for secrets): a loose pattern alone would flag every long number in a
maths question. Boundaries that Python's ``re`` would check with look-around are checked here
on the characters next to the match.
"""

from __future__ import annotations

import math
from collections import Counter

from router_extproc.pii import rx
from router_extproc.pii import validators as v
from router_extproc.pii.spans import PiiSpan

SPELLED_EMAIL = "spelled_email"

_EMAIL = rx.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}")
_SPELLED_AT = r"(?:\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_SPELLED_DOT = r"(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\.)"
_SPELLED_EMAIL = rx.compile(rf"(?i)\b[a-z0-9][a-z0-9._%+-]*{_SPELLED_AT}[a-z0-9-]+(?:{_SPELLED_DOT}[a-z0-9-]+){{1,4}}")
_SPELLED_WORDS = rx.compile(r"(?i)[\[({<]\s*(?:at|@|dot|\.)\s*[\])}>]|\s(?:at|dot)\s")
_SPELLED_TOKEN = rx.compile(r"(?i)\s*[\[({<]\s*(at|@|dot|\.)\s*[\])}>]\s*|\s+(at|dot)\s+|\s*(@)\s*")
_COMMON_TLDS = frozenset(["com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "uk", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "pl", "cz", "ru", "ua", "jp", "cn", "kr", "in", "au", "nz", "ca", "us", "br", "mx", "ar", "ie", "pt", "gr", "tr", "il", "za", "info", "biz", "me", "tv", "app", "dev", "ai"])

_CARD = rx.compile(r"\d(?:[ -]?\d){12,18}")
_IBAN = rx.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?")
_SSN = rx.compile(r"\d{3}[- ]\d{2}[- ]\d{4}")
_SSN_BARE = rx.compile(r"\b\d{9}\b")
_SSN_CUE = rx.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\b")
_IPV4 = rx.compile(r"(?:\d{1,3}\.){3}\d{1,3}")
_IPV6 = rx.compile(r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}")
_NUMBERING_CUE = rx.compile(r"(?i)\b(?:version|ver\.?|v|section|sec\.?|chapter|ch\.?|figure|fig\.?|table|step|rule|"
                            r"item|clause|article|art\.?|paragraph|para\.?|§|page|pp?\.?|release|build|rfc)\s*$")
_SECRETS = rx.compile("|".join((
    r"\bsk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}",
    r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)",
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
)))
_ASSIGNED_SECRET = rx.compile(
    r"(?i)\b(?:api[_-]?key|secret|token|password|passwd|pwd|access[_-]?key)\b\s*[:=]\s*['\"]?([^\s'\"]{8,256})"
)


_DIGIT_OR_DASH = frozenset("0123456789-")
_DIGIT_OR_DOT = frozenset("0123456789.")


def _before(text: str, start: int) -> str:
    """The character before ``start`` (a space at the start of the text)."""
    return text[start - 1] if start > 0 else " "


def _after(text: str, end: int) -> str:
    """The character at ``end`` (a space past the end of the text)."""
    return text[end] if end < len(text) else " "


def emails(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out = []
    if "@" in text:
        for start, end in rx.finditer(_EMAIL, text, budget, "e-mail"):
            following = _after(text, end)
            if not (following.isalnum() or following == "-"):
                out.append(PiiSpan("EMAIL", max(start, text.index("@", start) - 64), end, 0.99))
    lowered = text.lower()
    if "@" in text or any(word in lowered for word in (" at ", "at]", "at)", "at}", "at>")):
        out += _spelled_emails(text, budget)
    return out


def _spelled_emails(text: str, budget: rx.Budget) -> list[PiiSpan]:
    """``jane [at] corp [dot] com``, ``jane at corp dot com``: rewritten and checked as an
    address; bare words need a common top-level domain (``meet at noon dot`` is not mail)."""
    out = []
    for start, end in rx.finditer(_SPELLED_EMAIL, text, budget, "spelled e-mail"):
        candidate = text[start:end]
        if _SPELLED_WORDS.search(candidate) is None:
            continue  # a plain address: found above
        bracketed = any(c in candidate for c in "[({<")
        rewritten = _SPELLED_TOKEN.sub(lambda t: "@" if (t.group(1) or t.group(2) or t.group(3)).lower() in ("at", "@")
                                       else ".", candidate)
        tld = rewritten.rsplit(".", 1)[-1].lower()
        if rewritten.count("@") == 1 and _EMAIL.fullmatch(rewritten) and (bracketed or tld in _COMMON_TLDS):
            out.append(PiiSpan("EMAIL", start, end, 0.9, SPELLED_EMAIL))
    return out


def cards(text: str, budget: rx.Budget) -> list[PiiSpan]:
    """Luhn-valid 13-19 digits, issuer prefix plausible, contiguous or in even groups; a
    candidate that ran into a neighbouring number (``Card #1 4111 1111 ...``) is retried without
    its leading or trailing groups (at most 19 groups: a bounded number of tries)."""
    out = []
    for start, end in rx.finditer(_CARD, text, budget, "card"):
        if _before(text, start) in _DIGIT_OR_DASH or _after(text, end) in _DIGIT_OR_DASH:
            continue
        groups = text[start:end].replace("-", " ").split(" ")
        offsets = [0]
        for group in groups[:-1]:
            offsets.append(offsets[-1] + len(group) + 1)
        found = next(((i, n) for i in range(len(groups)) for n in range(len(groups), i, -1)
                      if _card_valid(groups[i:n])), None)
        if found is not None:
            i, n = found
            out.append(PiiSpan("CREDIT_CARD", start + offsets[i], start + offsets[n - 1] + len(groups[n - 1]), 0.95))
    return out


def _card_valid(groups: list[str]) -> bool:
    digits = "".join(groups)
    even = len(groups) == 1 or all(len(g) == 4 for g in groups[:-1]) or [len(g) for g in groups] == [4, 6, 5]
    return 13 <= len(digits) <= 19 and even and v.luhn_valid(digits) and v.card_prefix_plausible(digits)


def ibans(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out = []
    for start, stop in rx.finditer(_IBAN, text, budget, "IBAN"):
        candidate = text[start:stop]
        length = v.IBAN_LENGTHS.get(candidate[:2].upper())
        if length is None:
            continue
        end, seen = start, 0
        for i, ch in enumerate(candidate):  # the country's length, however it was grouped
            if ch != " ":
                seen += 1
                if seen == length:
                    end = start + i + 1
                    break
        if seen == length and not _after(text, end).isalnum() and v.iban_valid(text[start:end].replace(" ", "")):
            out.append(PiiSpan("IBAN", start, end, 0.99))
    return out


def ssns(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out = []
    for start, end in rx.finditer(_SSN, text, budget, "SSN"):
        value = text[start:end]
        if value[3] != value[6] or _before(text, start) in _DIGIT_OR_DASH or _after(text, end) in _DIGIT_OR_DASH:
            continue
        if v.ssn_valid(value[:3], value[4:6], value[7:]):
            out.append(PiiSpan("US_SSN", start, end, 0.85))
    if _SSN_CUE.search(text):
        for start, end in rx.finditer(_SSN_BARE, text, budget, "SSN"):
            value = text[start:end]
            if v.ssn_valid(value[:3], value[3:5], value[5:]):
                out.append(PiiSpan("US_SSN", start, end, 0.7))
    return out


def ips(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out = []
    for start, end in rx.finditer(_IPV4, text, budget, "IPv4"):
        before, after = _before(text, start), _after(text, end)
        if before in _DIGIT_OR_DOT or after.isdigit() or (after == "." and _after(text, end + 1).isdigit()):
            continue
        if v.ip_valid(text[start:end]) and not _NUMBERING_CUE.search(text[max(0, start - 12):start]):
            out.append(PiiSpan("IP_ADDRESS", start, end, 0.9))
    if "::" in text or text.count(":") >= 7:
        for start, end in rx.finditer(_IPV6, text, budget, "IPv6"):
            value = text[start:end]
            before, after = _before(text, start), _after(text, end)
            if before.isalnum() or before in "_:" or after.isalnum() or after in "_:":
                continue
            if value.count(":") >= 2 and any(c.isalnum() for c in value) and v.ip_valid(value):
                out.append(PiiSpan("IP_ADDRESS", start, end, 0.9))
    return out


def _entropy(value: str) -> float:
    return -sum(n / len(value) * math.log2(n / len(value)) for n in Counter(value).values())


def secrets(text: str, budget: rx.Budget) -> list[PiiSpan]:
    out = [PiiSpan("SECRET", start, end, 0.95) for start, end in rx.finditer(_SECRETS, text, budget, "secret")]
    for _, (start, end) in rx.finditer_groups(_ASSIGNED_SECRET, text, budget, "secret"):
        value = text[start:end]
        if _entropy(value) >= 3.0 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            out.append(PiiSpan("SECRET", start, end, 0.75))
    return out
