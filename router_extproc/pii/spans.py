"""PII spans and their overlap resolution.

Detectors propose spans independently (a card number is also a digit run a phone pattern
likes); where two overlap the higher-scoring one is kept. Resolution is O(n log n): sort
once, split into clusters of chained overlaps, and run the greedy-by-score choice inside each
cluster with a Fenwick tree (predecessor queries over the kept, disjoint intervals), so 100k
spans cost one sort, not 100k x 100k comparisons.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiSpan:
    """``[start, end)`` in the text the caller passed (the original, before de-obfuscation).

    ``trick`` names the obfuscation undone to find it (``""`` when none was needed)."""

    type: str
    start: int
    end: int
    score: float
    trick: str = ""

    def as_dict(self) -> dict:
        out = {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 2)}
        if self.trick:
            out["trick"] = self.trick
        return out


_SMALL_CLUSTER = 16


def resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Disjoint spans, sorted by start: where spans overlap, the higher score wins (ties: the
    earlier start, then the longer span)."""
    if len(spans) < 2:
        return list(spans)
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    kept: list[PiiSpan] = []
    cluster = [ordered[0]]
    reach = ordered[0].end
    for span in ordered[1:]:
        if span.start < reach:
            cluster.append(span)
            reach = max(reach, span.end)
            continue
        kept += _resolve_cluster(cluster)
        cluster, reach = [span], span.end
    kept += _resolve_cluster(cluster)
    return kept


def _priority(span: PiiSpan) -> tuple[float, int, int]:
    return (-span.score, span.start, -(span.end - span.start))


def _resolve_cluster(cluster: list[PiiSpan]) -> list[PiiSpan]:
    if len(cluster) == 1:
        return cluster
    if len(cluster) <= _SMALL_CLUSTER:  # the common case: two or three candidates on one value
        chosen: list[PiiSpan] = []
        for span in sorted(cluster, key=_priority):
            if all(span.end <= k.start or span.start >= k.end for k in chosen):
                chosen.append(span)
        return sorted(chosen, key=lambda s: s.start)
    return _resolve_large(cluster)


def _resolve_large(cluster: list[PiiSpan]) -> list[PiiSpan]:
    """Greedy by score with O(log n) overlap tests: kept intervals are disjoint, so the only
    kept interval that can overlap ``[s, e)`` is the one with the largest start below ``e``."""
    starts = sorted({s.start for s in cluster})
    tree = _Fenwick(len(starts))
    end_at: dict[int, int] = {}  # kept interval start -> its end (disjoint: one per start)
    chosen: list[PiiSpan] = []
    for span in sorted(cluster, key=_priority):
        below = tree.prefix(bisect_right(starts, span.end - 1))  # kept starts < span.end
        if below:
            previous_start = starts[tree.kth(below) - 1]
            if end_at[previous_start] > span.start:
                continue
        index = bisect_right(starts, span.start)  # 1-based position of span.start
        tree.add(index)
        end_at[span.start] = span.end
        chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


class _Fenwick:
    """Counts over 1..n with prefix sums and k-th-one search, both O(log n)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tree = [0] * (n + 1)
        self.top = 1 << n.bit_length()

    def add(self, i: int) -> None:
        while i <= self.n:
            self.tree[i] += 1
            i += i & -i

    def prefix(self, i: int) -> int:
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total

    def kth(self, k: int) -> int:
        """The smallest index whose prefix count reaches ``k``."""
        position, step = 0, self.top
        while step:
            nxt = position + step
            if nxt <= self.n and self.tree[nxt] < k:
                position = nxt
                k -= self.tree[nxt]
            step >>= 1
        return position + 1
