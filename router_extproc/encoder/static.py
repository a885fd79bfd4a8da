"""A static (model2vec-style) embedding distilled from MiniLM: the per-request fast path.

Each vocabulary token has a vector: the MiniLM output for that token alone, reduced by PCA
and weighted by how rare the token is (SIF). A text's embedding is the mean of its tokens'
vectors: a table lookup, ~0.1-0.7 ms instead of ~14 ms for a MiniLM pass at 64 tokens.
"""

from __future__ import annotations

import pathlib

import numpy as np

from router_extproc.encoder.assets import ASSETS_DIR

STATIC_TABLE = ASSETS_DIR / "static_minilm_256.npz"


class StaticEmbedding:
    def __init__(self, path: pathlib.Path = STATIC_TABLE) -> None:
        with np.load(path) as data:
            self.table = data["table"].astype(np.float32)  # (vocab, dim), SIF weights folded in
            self.encoder_id = str(data["encoder_id"])
            self.idf = data["idf"].astype(np.float32)  # (HASH_DIM,), shared by the lexical features
        self.dim = self.table.shape[1]

    def embed(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros(self.dim, dtype=np.float32)
        vector = self.table[ids].mean(axis=0)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector
