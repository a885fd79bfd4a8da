"""Overlap resolution: the higher-scoring span wins, in O(n log n)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.pii.spans import PiiSpan, resolve_overlaps


def _greedy(spans: list[PiiSpan]) -> list[PiiSpan]:
    """The definition: by score (then earlier start, then longer), keep what overlaps nothing kept."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start, -(s.end - s.start))):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


_span = st.builds(lambda start, length, score, kind: PiiSpan(kind, start, start + length, score),
                  st.integers(0, 200), st.integers(1, 40), st.sampled_from([0.6, 0.7, 0.75, 0.85, 0.9, 0.95, 0.99]),
                  st.sampled_from(["EMAIL", "PHONE", "PERSON"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_span, max_size=120))
def test_resolution_is_the_greedy_by_score(spans: list[PiiSpan]) -> None:
    resolved = resolve_overlaps(spans)
    assert resolved == _greedy(spans)
    assert all(a.end <= b.start for a, b in zip(resolved, resolved[1:], strict=False))


def test_the_higher_scoring_span_is_kept() -> None:
    card = PiiSpan("CREDIT_CARD", 10, 29, 0.95)
    phone = PiiSpan("PHONE", 14, 29, 0.8)
    email = PiiSpan("EMAIL", 40, 60, 0.99)
    assert resolve_overlaps([phone, email, card]) == [card, email]


def test_many_disjoint_and_one_large_cluster() -> None:
    disjoint = [PiiSpan("EMAIL", 10 * i, 10 * i + 5, 0.99) for i in range(50_000)]
    assert resolve_overlaps(disjoint) == disjoint
    chained = [PiiSpan("PHONE", i, i + 3, 0.7 + (i % 3) / 10) for i in range(5_000)]  # one cluster
    assert resolve_overlaps(chained) == _greedy(chained)
