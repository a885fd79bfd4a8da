"""De-obfuscation keeps a map back to the original text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.pii import rx
from router_extproc.pii.deobfuscate import COMPAT, INVISIBLE, SPACED, deobfuscate

_ALPHABET = "ab1 2-.@ｊａ＠１２\u200b\u200d\ufeff\u00adﬁ½①٣𝟓\U000e0041"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_every_character_comes_from_the_original(text: str) -> None:
    clean = deobfuscate(text, rx.Budget())
    for i, ch in enumerate(clean.text):
        start, end = clean.to_original(i, i + 1)
        source = text[start:end]
        assert 0 <= start < end <= len(text)
        folded = unicodedata.normalize("NFKC", source)
        untagged = "".join(chr(ord(c) - 0xE0000) if 0xE0020 <= ord(c) <= 0xE007E else c for c in source)
        assert ch in source or ch in folded or ch in untagged or ch.isdigit(), (text, clean.text, i)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_ranges_map_monotonically(text: str) -> None:
    clean = deobfuscate(text, rx.Budget())
    starts = [clean.to_original(i, i + 1)[0] for i in range(len(clean.text))]
    assert starts == sorted(starts)


def test_full_width_and_zero_width_are_undone() -> None:
    clean = deobfuscate("mail ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ now 5\u200b5\u200b5", rx.Budget())
    assert clean.text == "mail jane@corp.com now 555"
    assert clean.to_original(5, 18) == (5, 18)
    assert clean.tricks_in(5, 18) == [COMPAT]
    assert clean.tricks_in(23, 28) == [INVISIBLE]


def test_spaced_and_dotted_digits_are_joined() -> None:
    text = "ssn 5 3 6 - 2 2 - 1 2 3 4, card 4.1.1.1.1.1.1.1, list 1, 2, 3, 4, 5, 6, 7"
    clean = deobfuscate(text, rx.Budget())
    assert clean.text == "ssn 536-22-1234, card 41111111, list 1, 2, 3, 4, 5, 6, 7"
    start, end = clean.to_original(4, 15)
    assert text[start:end] == "5 3 6 - 2 2 - 1 2 3 4"
    assert clean.tricks_in(start, end) == [SPACED]


def test_plain_ascii_is_not_copied() -> None:
    text = "nothing to undo here: 555 123 4567"
    clean = deobfuscate(text, rx.Budget())
    assert clean.text is text and clean.origin is None and not clean.marks
