"""Fit a linear head on the shared features with scikit-learn (training time only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from router_extproc.encoder.features import HASH_DIM, Featurizer, TextFeatures
from router_extproc.encoder.tokenizer import CHARS_PER_TOKEN_BOUND, head_tail


def featurize_all(featurizer: Featurizer, texts: Sequence[str], max_tokens: int, desc: str) -> list[TextFeatures]:
    ids = featurizer.tokenizer.ids_batch([t[: max_tokens * CHARS_PER_TOKEN_BOUND] for t in texts])
    out = []
    for row in tqdm(ids, desc=desc, unit="text", leave=False):
        out.append(featurizer.from_ids(head_tail(row, max_tokens)))
    return out


def design_matrix(features: Sequence[TextFeatures], dense_scale: float = 1.0) -> sp.csr_matrix:
    """[embedding * dense_scale | lexical tf-idf] as one sparse matrix."""
    dense = np.stack([f.embedding for f in features]) * dense_scale
    rows, cols, vals = [], [], []
    for i, f in enumerate(features):
        rows.append(np.full(len(f.lexical_index), i))
        cols.append(f.lexical_index)
        vals.append(f.lexical_value)
    lexical = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(len(features), HASH_DIM))
    return sp.hstack([sp.csr_matrix(dense), lexical], format="csr")


def fit_logistic(x: sp.csr_matrix, y: np.ndarray, c: float, dense_dim: int, dense_scale: float,
                 class_weight: dict | str | None = None,
                 sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, LogisticRegression]:
    """Returns (dense weights, sparse weights, bias) in the runtime layout."""
    model = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight)
    model.fit(x, y, sample_weight=sample_weight)
    coef = model.coef_.T  # (features, k)
    dense = coef[:dense_dim] * dense_scale
    sparse = coef[dense_dim:]
    return dense, sparse, model.intercept_.copy(), model
