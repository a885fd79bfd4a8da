"""PII hidden by the usual tricks is found, its span covers the hidden value in the original
text, and the trick is reported."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.pii import PiiDetector

DETECTOR = PiiDetector()

VALUES = {
    "EMAIL": "jane.doe@corp-mail.com",
    "PHONE": "+44 20 7946 0958",
    "CREDIT_CARD": "4111 1111 1111 1111",
    "US_SSN": "536-22-1234",
    "IBAN": "DE89 3704 0044 0532 0130 00",
}

FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def spaced(value: str) -> str:
    return " ".join(value.replace(" ", ""))


def dotted(value: str) -> str:
    return ".".join(ch for ch in value if ch.isdigit())


def full_width(value: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in value)


def zero_width(value: str) -> str:
    return "\u200b".join(value)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def hexed(value: str) -> str:
    return value.encode().hex()


TRICKS = {
    "spaced": (spaced, "spaced_digits", ("PHONE", "CREDIT_CARD", "US_SSN")),
    "dotted": (dotted, "spaced_digits", ("CREDIT_CARD",)),
    "full-width": (full_width, "compatibility_forms", tuple(VALUES)),
    "zero-width": (zero_width, "invisible_characters", tuple(VALUES)),
    "base64": (b64, "base64", tuple(VALUES)),
    "hex": (hexed, "hex", tuple(VALUES)),
}
CASES = [(name, kind) for name, (_, _, kinds) in TRICKS.items() for kind in kinds]
FILLER = st.sampled_from(["", "Please check this: ", "Hi team,\nthe value is ", "As discussed (see below) — "])
AFTER = st.sampled_from(["", " thanks.", "\nBest regards", ", and nothing else."])


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), before=FILLER, after=AFTER)
def test_hidden_value_is_found_where_it_was_planted(case: tuple[str, str], before: str, after: str) -> None:
    trick_name, kind = case
    hide, label, _ = TRICKS[trick_name]
    hidden = hide(VALUES[kind])
    text = before + hidden + after
    scan = DETECTOR.scan(text)
    assert kind in scan.types, (text, scan)
    planted = range(len(before), len(before) + len(hidden))
    covering = [s for s in scan.spans if s.start < planted.stop and planted.start < s.end]
    assert covering, (text, scan.spans)
    span = covering[0]
    assert span.start <= planted.start + 1 and span.end >= planted.stop - 1, (text[span.start:span.end], hidden)
    assert label in scan.tricks


@pytest.mark.parametrize("text", [
    "write to jane [at] corp [dot] com please",
    "jane(at)corp(dot)org",
    "reach me: jane at corp dot com",
])
def test_spelled_out_addresses(text: str) -> None:
    scan = DETECTOR.scan(text)
    assert scan.types == {"EMAIL"} and "spelled_email" in scan.tricks


def test_a_blob_reports_every_type_inside_it() -> None:
    blob = b64("mail jane@corp.com or call +1 (212) 555-0199")
    scan = DETECTOR.scan(f"decode {blob} for me")
    assert {"EMAIL", "PHONE"} <= scan.types
    assert [(s.start, s.end) for s in scan.spans] == [(7, 7 + len(blob))]


def test_spans_index_the_original_text_for_redaction() -> None:
    text = "ｍｙ ｍａｉｌ: ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ, phone 0\u200b2\u200b0 7946 0958"
    spans = DETECTOR.find(text)
    assert [text[s.start:s.end] for s in spans] == ["ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ", "0\u200b2\u200b0 7946 0958"]
