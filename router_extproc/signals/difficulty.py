"""Difficulty: expected gain of the strong model, from the outcomes of the nearest training questions.

See ``training/train_difficulty.py`` for why a similarity-weighted outcome memory and not a
text head. The same memory yields each of its models' expected accuracy on the prompt, which
``details['neighbours']`` carries for strategies that weigh several models.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from router_extproc.encoder.features import HASH_DIM, TextFeatures
from router_extproc.encoder.heads import FEATURE_VERSION, HEADS_DIR
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import DifficultySignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts


def neighbour_outcomes(sim: np.ndarray, outcomes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For (queries, rows) similarities: per query and model, the sim^2-weighted correct
    answers among the k nearest rows, their total weight, and the nearest row's similarity.
    One rule for training reports and for serving."""
    k = min(k, sim.shape[1])
    idx = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(sim, idx, 1)
    known = outcomes[idx] >= 0  # (queries, k, models)
    weight = (top**2)[:, :, None] * known
    hits = (weight * np.where(known, outcomes[idx], 0)).sum(1)
    return hits, weight.sum(1), top.max(1)


@dataclass
class OutcomeMemory:
    matrix: sp.csr_matrix  # (rows, HASH_DIM), L2-normalised lexical vectors
    outcomes: np.ndarray  # (rows, models) int8, -1 = no answer
    models: list[str]
    strong: str
    weak: str
    k: int
    meta: dict
    prior: np.ndarray  # (models,) each model's accuracy over the whole memory

    @classmethod
    def load(cls, directory: pathlib.Path = HEADS_DIR) -> OutcomeMemory:
        meta = json.loads((directory / "difficulty.json").read_text())
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ValueError("difficulty memory was built with other features; retrain it")
        with np.load(directory / "difficulty.npz") as data:
            rows = len(data["indptr"]) - 1
            matrix = sp.csr_matrix((data["values"].astype(np.float32), data["indices"], data["indptr"]),
                                   shape=(rows, HASH_DIM))
            outcomes = data["outcomes"]
        known = outcomes >= 0
        prior = (np.where(known, outcomes, 0).sum(0) / np.maximum(known.sum(0), 1)).astype(np.float32)
        return cls(matrix.T.tocsr(), outcomes, meta["models"], meta["strong"], meta["weak"], int(meta["k"]), meta, prior)

    def expected_accuracy(self, features: TextFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Per-model neighbour accuracy, the neighbours' weighted hits and weights (for
        shrinkage towards a prior), and the closest row's similarity."""
        zeros = np.zeros(len(self.models))
        if not len(features.lexical_index):
            return np.full(len(self.models), np.nan), zeros, zeros, 0.0
        norm = float(np.linalg.norm(features.lexical_value)) or 1.0
        # the matrix is stored feature-major (one row per feature): a query reads only its rows
        sim = self.matrix[features.lexical_index].T @ (features.lexical_value / norm)
        hits, weight, nearest = neighbour_outcomes(sim[None, :], self.outcomes, self.k)
        return hits[0] / np.maximum(weight[0], 1e-9), hits[0], weight[0], float(nearest[0])


class DifficultyEstimator:
    ref = "difficulty"

    @classmethod
    def from_spec(cls, spec: DifficultySignalSpec, artifacts: SharedArtifacts) -> DifficultyEstimator:
        return cls(artifacts.outcome_memory, spec.threshold, spec.min_similarity)

    def __init__(self, memory: OutcomeMemory, threshold: float, min_similarity: float) -> None:
        self._memory = memory
        self._threshold = threshold
        self._min_similarity = min_similarity
        self._s = memory.models.index(memory.strong)
        self._w = memory.models.index(memory.weak)

    def evaluate(self, view: RequestView) -> SignalResult:
        accuracy, hits, weight, nearest = self._memory.expected_accuracy(view.last_user_features)
        # far from every known question the estimate is shrunk towards "no gain"
        confidence = min(1.0, nearest / self._min_similarity) if self._min_similarity else 1.0
        gain = float(accuracy[self._s] - accuracy[self._w]) * confidence if nearest > 0 else 0.0
        return SignalResult(
            self.ref,
            gain >= self._threshold,
            gain,
            confidence,
            frozenset(),
            {"nearest_similarity": round(nearest, 3),
             # per model: (weighted correct neighbours, their weight, overall accuracy) so a
             # strategy can shrink the neighbours' estimate towards the prior it trusts
             "neighbours": {m: (round(float(h), 4), round(float(w), 4), round(float(p), 4))
                            for m, h, w, p in zip(self._memory.models, hits, weight, self._memory.prior, strict=True)}},
        )
