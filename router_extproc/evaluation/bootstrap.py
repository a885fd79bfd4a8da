"""Bootstrap confidence intervals of a router's curve metrics (APGR, CPT) and of single points.

The queries are resampled with replacement; for each resample every sweep point's quality and
strong-call share are recomputed from the per-query results (one matrix product), and so are
the curve and its metrics. The interval is the 2.5-97.5 percentile range.
"""

from __future__ import annotations

import numpy as np

from router_extproc.evaluation.metrics import cpt_interpolated

RESAMPLES = 1000


def resample_counts(n: int, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """(resamples, n): how often each of ``n`` units is drawn in each resample with replacement.
    A statistic summed per unit becomes ``counts @ per_unit``, every resample in one product."""
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)]).astype(float)


def curve(shares: np.ndarray, qualities: np.ndarray, q_weak: float, q_strong: float) -> tuple[np.ndarray, np.ndarray]:
    """PGR as a function of the strong-call share, endpoints added, made non-decreasing (a
    router can always do at least as well with more budget)."""
    pts = sorted({(0.0, q_weak), (1.0, q_strong), *zip(shares.tolist(), qualities.tolist(), strict=True)})
    share = np.array([s for s, _ in pts])
    gap = q_strong - q_weak
    pgr = (np.array([q for _, q in pts]) - q_weak) / (gap if gap else 1.0)
    return share, np.maximum.accumulate(pgr)


def curve_metrics(shares: np.ndarray, qualities: np.ndarray, q_weak: float, q_strong: float) -> dict[str, float]:
    share, pgr = curve(shares, qualities, q_weak, q_strong)
    return {"apgr": float(np.trapezoid(pgr, share)), "cpt50": cpt_interpolated(share, pgr, 0.5),
            "cpt80": cpt_interpolated(share, pgr, 0.8)}


def intervals(scores: np.ndarray, strong: np.ndarray, weak_scores: np.ndarray, strong_scores: np.ndarray,
              extra: dict[str, np.ndarray] | None = None, resamples: int = RESAMPLES,
              seed: int = 0) -> dict[str, list[float]]:
    """95% intervals of APGR, CPT(50%), CPT(80%) for a sweep with per-query ``scores`` and
    ``strong`` (points × queries: the answer's score, whether the strong model was called), and
    of the mean of each ``extra`` per-query vector (a configured point's quality, say)."""
    n = scores.shape[1]
    counts = resample_counts(n, resamples, seed)
    quality, share = scores @ counts.T / n, strong @ counts.T / n  # (points, resamples)
    q_weak, q_strong = weak_scores @ counts.T / n, strong_scores @ counts.T / n
    samples: dict[str, list[float]] = {"apgr": [], "cpt50": [], "cpt80": []}
    for b in range(resamples):
        for key, value in curve_metrics(share[:, b], quality[:, b], float(q_weak[b]), float(q_strong[b])).items():
            samples[key].append(value)
    for key, vector in (extra or {}).items():
        samples[key] = list(vector @ counts.T / n)
    return {key: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for key, v in samples.items()}
