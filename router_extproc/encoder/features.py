"""The shared feature pass: one tokenization, one static embedding, hashed lexical n-grams.

Every head (domain, difficulty, jailbreak) reads the same ``TextFeatures``, so a request
pays for tokenization and embedding once. The lexical part is TF-IDF over hashed WordPiece
unigrams and bigrams (ids from the same tokenizer pass), with IDF weights learned once over
the training corpora and shipped beside the static table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from router_extproc.encoder.static import StaticEmbedding
from router_extproc.encoder.tokenizer import WordPieceTokenizer

HASH_DIM = 1 << 18
UNIGRAMS = 30522
"""Unigram features are the token ids themselves; bigrams hash into the buckets above."""


def lexical_buckets(ids: np.ndarray) -> np.ndarray:
    """Feature ids of a token sequence: each unigram, and each adjacent pair hashed."""
    if len(ids) < 2:
        return ids.astype(np.int64)
    first = ids[:-1].astype(np.int64)
    second = ids[1:].astype(np.int64)
    bigrams = UNIGRAMS + (first * 1_000_003 + second) % (HASH_DIM - UNIGRAMS)
    return np.concatenate([ids.astype(np.int64), bigrams])


def tfidf(buckets: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sublinear TF x IDF, L2-normalised, as (indices, values)."""
    if len(buckets) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    index, counts = np.unique(buckets, return_counts=True)
    values = (1.0 + np.log(counts)).astype(np.float32) * idf[index]
    norm = float(np.linalg.norm(values))
    return index, (values / norm if norm > 0 else values)


@dataclass(frozen=True)
class TextFeatures:
    ids: np.ndarray
    embedding: np.ndarray
    lexical_index: np.ndarray
    lexical_value: np.ndarray


class Featurizer:
    """Tokenizer + static table + IDF: everything loaded once at start."""

    def __init__(self, tokenizer: WordPieceTokenizer | None = None, static: StaticEmbedding | None = None) -> None:
        self.tokenizer = tokenizer or WordPieceTokenizer()
        self.static = static or StaticEmbedding()
        self.idf = self.static.idf

    def from_ids(self, ids: np.ndarray) -> TextFeatures:
        index, value = tfidf(lexical_buckets(ids), self.idf)
        return TextFeatures(ids, self.static.embed(ids), index, value)
