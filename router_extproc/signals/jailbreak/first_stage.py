"""First stage: a linear head on the shared static embedding and lexical features of each piece.

It decides alone only when it is sure a piece is benign (its logit below the head's
``band_low``); anything above goes to the second stage. The windows of a long message are
scored together, vectorised: the static embedding of every window from one running sum over
the message, the TF-IDF of every window from one sort of all windows' n-gram buckets. The
result equals scoring each window with ``Featurizer.from_ids`` (a test holds them equal), at
a few microseconds per window instead of a hundred, so a 100 KB paste is read in milliseconds.
"""

from __future__ import annotations

import numpy as np

from router_extproc.encoder.features import HASH_DIM, Featurizer, lexical_buckets
from router_extproc.encoder.heads import LinearHead
from router_extproc.signals.jailbreak.segments import WINDOW_STRIDE, WINDOW_TOKENS, MessagePieces


def piece_logits(head: LinearHead, featurizer: Featurizer, pieces: MessagePieces) -> np.ndarray:
    """The head's attack logit for each piece of a message (whole text first, then the windows)."""
    whole = featurizer.from_ids(pieces.piece(0))
    first = head.logits_many(whole.embedding[None], [(whole.lexical_index, whole.lexical_value)])[0, 0]
    if not len(pieces.starts):
        return np.array([first], dtype=np.float32)
    return np.concatenate([[first], window_logits(head, featurizer, pieces.ids, pieces.starts)]).astype(np.float32)


def window_logits(head: LinearHead, featurizer: Featurizer, ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Logits of the ``WINDOW_TOKENS``-token windows of ``ids`` at ``starts``, all at once."""
    width = WINDOW_TOKENS
    means = window_means(featurizer.static.table, ids, starts)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    embeddings = np.where(norms > 0, means / np.maximum(norms, 1e-12), means).astype(np.float32)
    dense = embeddings @ head.dense[:, 0] + head.bias[0]

    buckets = lexical_buckets(ids)  # unigrams (n), then each adjacent pair hashed (n - 1)
    n = len(ids)
    unigram = starts[:, None] + np.arange(width)
    bigram = n + starts[:, None] + np.arange(width - 1)
    window_buckets = buckets[np.hstack([unigram, bigram])]  # (windows, 2 * width - 1)
    row = np.repeat(np.arange(len(starts)), window_buckets.shape[1])
    keys, counts = np.unique(row * HASH_DIM + window_buckets.ravel(), return_counts=True)
    key_rows, key_buckets = keys // HASH_DIM, keys % HASH_DIM
    values = (1.0 + np.log(counts)).astype(np.float32) * featurizer.idf[key_buckets]
    norm = np.sqrt(np.bincount(key_rows, weights=values.astype(np.float64) ** 2, minlength=len(starts)))
    dot = np.bincount(key_rows, weights=values * head.sparse[key_buckets, 0], minlength=len(starts))
    lexical = np.where(norm > 0, dot / np.maximum(norm, 1e-12), 0.0)
    return (dense + lexical).astype(np.float32)


def window_means(table: np.ndarray, ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean table row of each window: windows on the stride grid are two stride blocks, so the
    message is summed block by block once; a window off the grid (the last) is summed alone."""
    stride = WINDOW_STRIDE
    blocks = len(ids) // stride
    block_sums = table[ids[: blocks * stride]].reshape(blocks, stride, -1).sum(axis=1)
    means = np.empty((len(starts), table.shape[1]), dtype=np.float32)
    on_grid = (starts % stride == 0) & (starts // stride + WINDOW_TOKENS // stride <= blocks)
    first = starts[on_grid] // stride
    means[on_grid] = sum(block_sums[first + j] for j in range(WINDOW_TOKENS // stride))
    for row in np.flatnonzero(~on_grid):
        means[row] = table[ids[starts[row] : starts[row] + WINDOW_TOKENS]].sum(axis=0)
    return means / WINDOW_TOKENS
