"""PGR, APGR and CPT for a strong/weak pair, from per-query correctness and a router score.

Definitions (RouteLLM): with q_weak and q_strong the qualities of always-weak and
always-strong, a router that sends a share s of queries to the strong model reaches
quality q(s); PGR(s) = (q(s) - q_weak) / (q_strong - q_weak). APGR is the mean PGR over
s in [0, 1] (the area under the PGR curve); CPT(x) is the smallest strong share whose
PGR reaches x. Higher scores go to the strong model first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairCurve:
    share: np.ndarray  # strong-call share, 0..1, n+1 points
    quality: np.ndarray
    q_weak: float
    q_strong: float

    @property
    def pgr(self) -> np.ndarray:
        return (self.quality - self.q_weak) / (self.q_strong - self.q_weak)


def pair_curve(score: np.ndarray, strong: np.ndarray, weak: np.ndarray) -> PairCurve:
    """Quality when the top-k scored queries go strong, for every k (ties broken by order)."""
    order = np.argsort(-score, kind="stable")
    s, w = strong[order].astype(float), weak[order].astype(float)
    n = len(score)
    gain = np.concatenate([[0.0], np.cumsum(s - w)])
    quality = (w.sum() + gain) / n
    return PairCurve(np.arange(n + 1) / n, quality, float(w.mean()), float(s.mean()))


def apgr(curve: PairCurve) -> float:
    return float(np.trapezoid(curve.pgr, curve.share))


def cpt(curve: PairCurve, target: float) -> float:
    """Strong share needed for PGR >= target (1.0 if never reached)."""
    reached = np.flatnonzero(curve.pgr >= target)
    return float(curve.share[reached[0]]) if len(reached) else 1.0


def oracle_score(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Route strong exactly where it helps: gain 1 first, then ties, then losses."""
    return strong.astype(float) - weak.astype(float)


def cpt_interpolated(share: np.ndarray, pgr: np.ndarray, target: float) -> float:
    """CPT on a sparse sweep: the share where the (non-decreasing) PGR curve, linear between
    sweep points, first reaches ``target``; 1.0 if it never does."""
    reached = np.flatnonzero(pgr >= target)
    if not len(reached):
        return 1.0
    i = int(reached[0])
    if i == 0:
        return 0.0
    s0, s1, p0, p1 = share[i - 1], share[i], pgr[i - 1], pgr[i]
    return float(s0 + (target - p0) * (s1 - s0) / (p1 - p0)) if p1 > p0 else float(s1)
