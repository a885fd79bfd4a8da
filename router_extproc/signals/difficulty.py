"""Difficulty: expected gain of the strong model, from the outcomes of the nearest known questions.

See ``training/train_difficulty.py`` for why a similarity-weighted outcome memory and not a
text head. The score is for the pair the policy names (its models' ``outcome_model``s: the
difficulty spec's ``strong``/``weak``, else the first strong_weak or cascade decision), the
memory's reference pair only when the policy names none. The same memory yields each of its
models' expected accuracy and answer length on the prompt, which ``details`` carries for
strategies that weigh several models (``cheapest_capable``'s expected cost per answer).
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

CHARS_PER_TOKEN = 4.0

if TYPE_CHECKING:
    from router_extproc.policy.spec import DifficultySignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts


def nearest_rows(sim: np.ndarray, k: int) -> np.ndarray:
    """Per query, the indices of its k most similar rows (in no order)."""
    k = min(k, sim.shape[1])
    return np.argpartition(-sim, k - 1, axis=1)[:, :k]


def neighbour_outcomes(sim: np.ndarray, outcomes: np.ndarray, k: int,
                       idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For (queries, rows) similarities: per query and model, the sim^2-weighted correct
    answers among the k nearest rows (``idx`` when already found), their total weight, and the
    nearest row's similarity. One rule for training reports and for serving."""
    idx = nearest_rows(sim, k) if idx is None else idx
    top = np.take_along_axis(sim, idx, 1)
    answers = outcomes[idx]  # (queries, k, models)
    known = answers >= 0
    weight = (top**2)[:, :, None] * known
    hits = (weight * np.where(known, answers, 0)).sum(1)
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
    output_tokens: np.ndarray | None = None  # (rows, models) int32 answer length in tokens, -1 = unknown
    question_ids: np.ndarray | None = None  # (rows,) the question each row came from

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
            lengths = data.get("output_tokens", None)
            ids = data.get("question_ids", None)
        return cls(matrix.T.tocsr(), outcomes, meta["models"], meta["strong"], meta["weak"], int(meta["k"]), meta,
                   _prior(outcomes), lengths, ids)

    def without(self, question_ids: set[int]) -> OutcomeMemory:
        """The memory less the rows of ``question_ids`` (an evaluation must not look its own questions up)."""
        if self.question_ids is None or not question_ids:
            return self
        keep = np.flatnonzero(~np.isin(self.question_ids, np.fromiter(question_ids, dtype=np.int64)))
        outcomes = self.outcomes[keep]
        return OutcomeMemory(self.matrix[:, keep].tocsr(), outcomes, self.models, self.strong, self.weak, self.k,
                             self.meta, _prior(outcomes),
                             self.output_tokens[keep] if self.output_tokens is not None else None,
                             self.question_ids[keep])

    def expected_accuracy(self, features: TextFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Per-model neighbour accuracy, the neighbours' weighted hits and weights (for
        shrinkage towards a prior), and the closest row's similarity."""
        accuracy, hits, weight, nearest, _ = self.estimate(features)
        return accuracy, hits, weight, nearest

    def estimate(self, features: TextFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
        """``expected_accuracy`` and, per model, the similarity-weighted answer length (tokens) of
        the k nearest questions where it is known (NaN where no neighbour has one)."""
        models = len(self.models)
        zeros = np.zeros(models)
        if not len(features.lexical_index):
            return np.full(models, np.nan), zeros, zeros, 0.0, np.full(models, np.nan)
        norm = float(np.linalg.norm(features.lexical_value)) or 1.0
        sim = self._similarities(features.lexical_index, features.lexical_value / norm)
        idx = nearest_rows(sim[None, :], self.k)
        hits, weight, nearest = neighbour_outcomes(sim[None, :], self.outcomes, self.k, idx)
        accuracy = hits[0] / np.maximum(weight[0], 1e-9)
        tokens = np.full(models, np.nan)
        if self.output_tokens is not None:
            idx = idx[0]
            lengths = self.output_tokens[idx]  # (k, models)
            known = lengths >= 0
            w = (sim[idx] ** 2)[:, None] * known
            total = w.sum(0)
            np.divide((w * np.where(known, lengths, 0)).sum(0), total, out=tokens, where=total > 0)
        return accuracy, hits[0], weight[0], float(nearest[0]), tokens


    def _similarities(self, features: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Cosine of the query with every row. The matrix is stored feature-major (one CSR row
        per feature), so a query reads only its own features' rows: gathered directly from the
        CSR arrays and summed with one ``bincount`` (scipy's row indexing costs more than the sum)."""
        m = self.matrix
        starts, ends = m.indptr[features], m.indptr[features + 1]
        lengths = ends - starts
        if not lengths.sum():
            return np.zeros(m.shape[1])
        positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        weights = m.data[positions] * np.repeat(values, lengths)
        return np.bincount(m.indices[positions], weights=weights, minlength=m.shape[1])


def _prior(outcomes: np.ndarray) -> np.ndarray:
    known = outcomes >= 0
    return (np.where(known, outcomes, 0).sum(0) / np.maximum(known.sum(0), 1)).astype(np.float32)


class DifficultyEstimator:
    ref = "difficulty"

    @classmethod
    def from_spec(cls, spec: DifficultySignalSpec, artifacts: SharedArtifacts) -> DifficultyEstimator:
        return cls(artifacts.outcome_memory, spec.threshold, spec.min_similarity, spec.strong_outcome,
                   spec.weak_outcome)

    def __init__(self, memory: OutcomeMemory, threshold: float, min_similarity: float,
                 strong: str | None = None, weak: str | None = None) -> None:
        self._memory = memory
        self._threshold = threshold
        self._min_similarity = min_similarity
        for name in (strong, weak):
            if name is not None and name not in memory.models:
                raise ValueError(f"difficulty: {name!r} is not a model of the outcome memory")
        self.strong, self.weak = strong or memory.strong, weak or memory.weak
        self._s = memory.models.index(self.strong)
        self._w = memory.models.index(self.weak)

    def evaluate(self, view: RequestView) -> SignalResult:
        accuracy, hits, weight, nearest, tokens = self._memory.estimate(view.last_user_features)
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
                            for m, h, w, p in zip(self._memory.models, hits, weight, self._memory.prior, strict=True)},
             "output_tokens": {m: round(float(t), 1) for m, t in zip(self._memory.models, tokens, strict=True)
                               if t == t},
             "prompt_tokens": view.prompt_tokens},
        )
