"""The matching layer: RE2 spans equal the re2 module's own, in characters, and the budget stops work."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.pii import rx

_PATTERN = rx.compile(r"\p{Lu}\p{Ll}+|\d+(?:[ .-]\d+)*|[a-z]+@[a-z]+\.[a-z]{2,}")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aZé ñ1.2-@x.coÅ日本\u200b𝒜", max_size=80))
def test_spans_match_the_re2_module(text: str) -> None:
    ours = list(rx.finditer(_PATTERN, text, rx.Budget(), "test"))
    theirs = [m.span() for m in _PATTERN.public.finditer(text)]
    assert ours == theirs


def test_budget_stops_iteration_and_says_why() -> None:
    budget = rx.Budget(3)
    spans = list(rx.finditer(_PATTERN, "1 a 2 b 3 c 4 d 5", budget, "digits"))
    assert len(spans) == 3
    assert not budget.left and budget.exhausted == ["more than 3 candidates (digits)"]
    assert list(rx.finditer(_PATTERN, "6 7", budget, "digits")) == []
