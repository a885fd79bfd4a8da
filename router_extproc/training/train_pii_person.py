"""``router-extproc train pii-person``: the person-name model of the PII detector.

Candidates (capitalised word runs, ``pii.person.candidates``) from the *train* split of the
presidio-research sentences and of the Faker set, plus the project's everyday chat prompts
(train part, all negative), are labelled by overlap with a gold PERSON span. A logistic
regression over their sparse features is fitted; the decision threshold is the lowest whose
out-of-fold precision (5 folds grouped by template) on the presidio candidates reaches
``TARGET_PRECISION`` (presidio is the set written in styles the templates of the other sets do
not cover; the Faker set alone would allow a much lower threshold). Writes
``assets/heads/pii_person.json`` (weights, bias, threshold, data and out-of-fold metrics).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np

from router_extproc.pii import rx
from router_extproc.pii.person import MODEL_FILE, _cues, candidates, features
from router_extproc.training import data, pii_data

TARGET_PRECISION = 0.9
BENIGN_WEIGHT = 0.1
"""Sample weight of candidates from MMLU-Pro questions and ShareGPT user turns (train parts), all
taken as negatives: most capitalised words there are not names, some are (a public figure, a
character in a question); the low weight lets the gazetteer and context outvote that noise."""
BENIGN_TURNS = 15_000
MIN_WEIGHT = 0.02
"""Smaller weights are dropped from the artifact (they change no decision measurably)."""


def examples(rows: list[tuple[pii_data.Row, str]]) -> tuple[list[list[str]], list[int], list[str]]:
    xs, ys, groups = [], [], []
    for (text, gold), group in rows:
        persons = [(s, e) for kind, s, e in gold if kind == "PERSON"]
        cues = _cues(text, rx.Budget())
        for candidate in candidates(text, rx.Budget()):
            xs.append(features(text, candidate, cues))
            ys.append(int(any(s < candidate.end and candidate.start < e for s, e in persons)))
            groups.append(group)
    return xs, ys, groups


def _threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """Lowest threshold whose precision reaches the target: (threshold, precision, recall)."""
    order = np.argsort(-p)
    hits = np.cumsum(y[order])
    precision = hits / np.arange(1, len(y) + 1)
    ok = np.flatnonzero(precision >= TARGET_PRECISION)
    k = int(ok[-1]) if len(ok) else 0
    return float(p[order][k]), float(precision[k]), float(hits[k] / max(1, y.sum()))


def train(data_dir: pathlib.Path) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    sets: dict[str, list[Any]] = {"presidio train": pii_data.presidio_grouped(data_dir, "train"),
            "faker train": pii_data.faker_grouped("train", 3000),
            "everyday chat train": [((r["text"], []), f"chat-{i % 20}") for i, r in enumerate(data.everyday_chat("train"))]}
    benign: dict[str, list[Any]] = {"MMLU-Pro train questions": [((q, []), f"mmlu-{i % 20}")
                                           for i, q in enumerate(pii_data.mmlu_questions(data_dir, "train"))],
              "ShareGPT train user turns": [((t[:4000], []), f"sharegpt-{i % 20}") for i, t in
                                            enumerate(pii_data.chat_user_turns(data_dir, "train")[:BENIGN_TURNS])]}
    xs: list[Any] = []
    ys: list[int] = []
    groups: list[str] = []
    sample_weight: list[float] = []
    for name, rows in {**sets, **benign}.items():
        x, y, g = examples(rows)
        xs += x
        ys += y
        groups += g
        sample_weight += [BENIGN_WEIGHT if name in benign else 1.0] * len(x)
    sets.update(benign)
    weight = np.array(sample_weight)
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([{f: 1.0 for f in x} for x in xs])
    labels = np.array(ys)
    out_of_fold = np.zeros(len(labels))
    for fit, held in GroupKFold(n_splits=5).split(matrix, labels, groups):
        clf = LogisticRegression(C=1.0, max_iter=3000).fit(matrix[fit], labels[fit], sample_weight=weight[fit])
        out_of_fold[held] = clf.predict_proba(matrix[held])[:, 1]
    presidio = np.array([g.startswith("presidio-") for g in groups])
    threshold, precision, recall = _threshold(labels[presidio], out_of_fold[presidio])
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(matrix, labels, sample_weight=weight)
    weights = {name: round(float(w), 4) for name, w in zip(vectorizer.feature_names_, clf.coef_[0], strict=True)
               if abs(w) >= MIN_WEIGHT}
    artifact = {
        "weights": weights, "bias": round(float(clf.intercept_[0]), 4), "threshold": round(threshold, 4),
        "meta": {"data": {name: len(rows) for name, rows in sets.items()}, "candidates": len(labels),
                 "positives": int(labels.sum()), "benign_weight": BENIGN_WEIGHT,
                 "model": "LogisticRegression(C=1.0) over pii.person.features",
                 "out_of_fold_presidio_candidates": {"precision": round(precision, 3), "recall": round(recall, 3),
                                                     "target_precision": TARGET_PRECISION}},
    }
    MODEL_FILE.write_text(json.dumps(artifact, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    print(f"person model written to {MODEL_FILE}: {len(weights)} weights, threshold {threshold:.3f}, "
          f"out-of-fold precision {precision:.3f} recall {recall:.3f} on presidio candidates ({len(y)} in all)")
    return artifact
