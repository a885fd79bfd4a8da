"""Trained linear heads on the shared features, loaded from versioned artifacts in assets/heads.

An artifact is ``<name>.npz`` (weights) + ``<name>.json`` (labels, encoder id, feature
version, threshold, training data and dev metrics). Scoring is a dot product over the
static embedding plus a sparse dot product over the lexical features: microseconds.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from router_extproc.encoder.assets import ASSETS_DIR
from router_extproc.encoder.features import HASH_DIM, TextFeatures

HEADS_DIR = ASSETS_DIR / "heads"
FEATURE_VERSION = "static256+wp-hash18-tfidf/v1"


@dataclass
class LinearHead:
    name: str
    labels: list[str]
    dense: np.ndarray  # (dim, k)
    sparse: np.ndarray  # (HASH_DIM, k)
    bias: np.ndarray  # (k,)
    meta: dict[str, Any]

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2 and self.dense.shape[1] == 1

    def logits(self, features: TextFeatures) -> np.ndarray:
        out = features.embedding @ self.dense + self.bias
        if len(features.lexical_index):
            out = out + features.lexical_value @ self.sparse[features.lexical_index]
        return out

    def logits_many(self, embeddings: np.ndarray, lexical: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        out = embeddings @ self.dense + self.bias
        for row, (index, value) in enumerate(lexical):
            if len(index):
                out[row] += value @ self.sparse[index]
        return out

    def probabilities(self, features: TextFeatures) -> np.ndarray:
        """Class probabilities (softmax), or for a binary head [p(neg), p(pos)]."""
        z = self.logits(features)
        if self.binary:
            p = 1.0 / (1.0 + np.exp(-float(z[0])))
            return np.array([1.0 - p, p])
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    @classmethod
    def load(cls, name: str, directory: pathlib.Path = HEADS_DIR) -> LinearHead:
        meta = json.loads((directory / f"{name}.json").read_text())
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ValueError(f"head {name}: features {meta.get('feature_version')!r} != {FEATURE_VERSION!r}; retrain it")
        with np.load(directory / f"{name}.npz") as data:
            dense = data["dense"].astype(np.float32)
            sparse = np.zeros((HASH_DIM, dense.shape[1]), dtype=np.float32)
            sparse[data["sparse_index"]] = data["sparse_weight"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        return cls(name, meta["labels"], dense, sparse, bias, meta)

    @staticmethod
    def save(name: str, labels: list[str], dense: np.ndarray, sparse: np.ndarray, bias: np.ndarray,
             meta: dict[str, Any], directory: pathlib.Path = HEADS_DIR) -> pathlib.Path:
        directory.mkdir(parents=True, exist_ok=True)
        used = np.flatnonzero(np.abs(sparse).sum(axis=1) > 0)
        np.savez_compressed(directory / f"{name}.npz", dense=dense.astype(np.float32),
                            sparse_index=used.astype(np.int32), sparse_weight=sparse[used].astype(np.float16),
                            bias=bias.astype(np.float32))
        full = {"name": name, "labels": labels, "feature_version": FEATURE_VERSION} | meta
        (directory / f"{name}.json").write_text(json.dumps(full, indent=2, sort_keys=False) + "\n")
        return directory / f"{name}.npz"
