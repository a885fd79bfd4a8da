"""Adversarial inputs produce a result; when a per-text bound is hit the result says so.

Sizes here are small enough for a unit test; the timings at full size are bench/pii.py's job.
"""

from __future__ import annotations

import random

import pytest

from router_extproc.pii import PiiDetector, PiiScanIncomplete

SMALL = PiiDetector(max_candidates=2_000)


def _soup(size: int) -> str:
    rng = random.Random(3)
    return "".join(rng.choices("0123456789" * 3 + " -.()+/", k=size))


ADVERSARIAL = {
    "digit soup": _soup(200_000),
    "spaced digits": "1 2 3 4 5 6 7 8 9 0 " * 10_000,
    "e-mails": " ".join(f"user{i}@example.com" for i in range(5_000)),
    "phone bait": "+1 " + "1 " * 50_000,
    "phone groups": "tel " + "12 " * 30_000,
    "name cues": "My name is " * 5_000,
    "capitalised names": "Anna Maria " * 5_000,
    "base64 soup": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 5_000,
    "zero-width soup": "ｊ\u200bａ\u200bｎ\u200bｅ\u200b＠" * 20_000,
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_input_gives_a_result(name: str) -> None:
    text = ADVERSARIAL[name]
    scan = SMALL.scan(text)
    assert scan.complete == (not scan.limits)
    assert all(0 <= s.start < s.end <= len(text) for s in scan.spans)
    assert all(a.end <= b.start for a, b in zip(scan.spans, scan.spans[1:], strict=False))


def test_a_bound_hit_is_reported_not_silent() -> None:
    text = " ".join(f"user{i}@example.com" for i in range(3_000))
    scan = SMALL.scan(text)
    assert not scan.complete and "candidates" in scan.limits[0]
    assert scan.types == {"EMAIL"}  # what was found before the bound is still reported
    with pytest.raises(PiiScanIncomplete):
        SMALL.find(text)
    assert PiiDetector().scan(text).complete  # the default bound is well above 3,000 addresses


def test_text_beyond_the_length_bound_is_incomplete() -> None:
    detector = PiiDetector(max_chars=1_000)
    scan = detector.scan("x" * 2_000 + " jane@corp.com")
    assert not scan.complete and "longer than 1000" in scan.limits[0]


def test_decoded_blobs_are_bounded(monkeypatch) -> None:
    from router_extproc.pii import blobs

    monkeypatch.setattr(blobs, "MAX_DECODED_CHARS", 100)
    blob = "am9obkBleGFtcGxlLmNvbSBzYXlzIGhlbGxvIGFnYWluIGFuZCBhZ2FpbiBhbmQgYWdhaW4="
    scan = PiiDetector().scan(" ".join([blob] * 5))
    assert not scan.complete and "decoded" in scan.limits[0]
