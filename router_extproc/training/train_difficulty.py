"""``router-extproc train difficulty``: a similarity-weighted outcome memory (RouteLLM's SW idea).

Text heads that predict "the weak model fails" stay near APGR 0.53-0.54 on MMLU-Pro: whether
a question is hard is barely visible in its words. What is visible is *which known questions it
resembles*: MMLU-Pro has families of near-identical questions, and their outcomes transfer. The
artifact stores, for every known question, its lexical TF-IDF vector (pruned to its strongest
features), the correctness of all 29 models and their answer lengths; at run time the k nearest
questions (cosine, weights sim^2) give each model's expected accuracy and answer length on the
prompt. ``difficulty`` = expected accuracy(strong) - expected accuracy(weak) for the pair the
policy names (``signals/difficulty.py``).

The shipped memory holds train + dev (more neighbours for live traffic); k is chosen by 5-fold
cross-validation over train + dev (folds by question id). Each row keeps its ``question_id``, so
``eval`` leaves the evaluated questions out of the memory (no self-lookup) while questions that
duplicate another split's stay findable. The dev report uses a train-only memory.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time

import numpy as np
import scipy.sparse as sp

from router_extproc.encoder.assets import ENCODER_ID
from router_extproc.encoder.features import HASH_DIM, Featurizer
from router_extproc.encoder.heads import FEATURE_VERSION, HEADS_DIR
from router_extproc.evaluation.metrics import apgr, cpt, oracle_score, pair_curve
from router_extproc.signals.difficulty import CHARS_PER_TOKEN, neighbour_outcomes
from router_extproc.training import data
from router_extproc.training.fit import featurize_all
from router_extproc.training.report import print_report

STRONG, WEAK = "Meta-Llama-3_1-70B-Instruct", "Meta-Llama-3_1-8B-Instruct"
K_GRID = (10, 20, 30, 50, 80, 120, 200)
FOLDS = 5
KEEP_FEATURES = 128
SPLITS = ("train", "dev")


def question_text(row: dict) -> str:
    """The prompt as a user would send it: the question and its lettered options."""
    options = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(row["options"]))
    return f"{row['question']}\n{options}"


def memory_matrix(features, keep: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for i, f in enumerate(features):
        index, value = f.lexical_index, f.lexical_value
        if len(index) > keep:
            top = np.argpartition(-value, keep)[:keep]
            index, value = index[top], value[top]
        norm = float(np.linalg.norm(value)) or 1.0
        rows.append(np.full(len(index), i))
        cols.append(index)
        vals.append(value / norm)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(len(features), HASH_DIM), dtype=np.float32)


def expected_accuracy(memory: sp.csr_matrix, outcomes: np.ndarray, query: sp.csr_matrix, k: int) -> np.ndarray:
    """(queries, models) similarity-weighted accuracy of the k nearest memory rows."""
    hits, weight, _ = neighbour_outcomes((query @ memory.T).toarray(), outcomes, k)
    return hits / np.maximum(weight, 1e-9)


def fold_of(question_id: int) -> int:
    return int(hashlib.sha1(f"fold:{question_id}".encode()).hexdigest(), 16) % FOLDS


def _pair_apgr(acc: np.ndarray, s: int, w: int, strong: np.ndarray, weak: np.ndarray) -> dict:
    curve = pair_curve(acc[:, s] - acc[:, w], strong, weak)
    return {"apgr": round(apgr(curve), 4), "cpt50": round(cpt(curve, 0.5), 4), "cpt80": round(cpt(curve, 0.8), 4)}


def cross_validate(memory: sp.csr_matrix, queries: sp.csr_matrix, outcomes: np.ndarray, folds: np.ndarray,
                   s: int, w: int) -> dict[int, dict]:
    """Mean pair APGR per k, each fold's questions looked up in a memory of the other folds."""
    scores: dict[int, list[float]] = {k: [] for k in K_GRID}
    for fold in range(FOLDS):
        held, kept = np.flatnonzero(folds == fold), np.flatnonzero(folds != fold)
        pair = held[(outcomes[held, s] >= 0) & (outcomes[held, w] >= 0)]
        for k in K_GRID:
            acc = expected_accuracy(memory[kept], outcomes[kept], queries[pair], k)
            scores[k].append(_pair_apgr(acc, s, w, outcomes[pair, s], outcomes[pair, w])["apgr"])
    return {k: {"apgr_mean": round(float(np.mean(v)), 4), "apgr_std": round(float(np.std(v)), 4)}
            for k, v in scores.items()}


def train(data_dir: pathlib.Path, version: str = "v2") -> dict:
    started = time.time()
    featurizer = Featurizer()
    rows, split = [], []
    for index, name in enumerate(SPLITS):
        part = data.mmlu_pro(data_dir, name)
        rows += part
        split += [index] * len(part)
    splits = np.array(split, dtype=np.int8)
    models = sorted({m for r in rows for m in r["correct"]})
    outcomes = np.full((len(rows), len(models)), -1, dtype=np.int8)
    lengths = np.full((len(rows), len(models)), -1, dtype=np.int32)
    for i, r in enumerate(rows):
        for m, ok in r["correct"].items():
            outcomes[i, models.index(m)] = int(ok)
        for m, chars in r.get("output_chars", {}).items():
            if chars > 0:  # 0: the source has no text for that model (unknown, not free)
                lengths[i, models.index(m)] = int(round(chars / CHARS_PER_TOKEN))
    features = featurize_all(featurizer, [question_text(r) for r in rows], 256, "questions")
    memory = memory_matrix(features, KEEP_FEATURES)
    queries = memory_matrix(features, 10**9)
    s, w = models.index(STRONG), models.index(WEAK)
    folds = np.array([fold_of(r["question_id"]) for r in rows])
    cv = cross_validate(memory, queries, outcomes, folds, s, w)
    for k, v in cv.items():
        print(f"k={k}: {v}", flush=True)
    k = max(cv, key=lambda key: cv[key]["apgr_mean"])
    train_rows, dev_rows = np.flatnonzero(splits == 0), np.flatnonzero(splits == 1)
    dev_pair = dev_rows[(outcomes[dev_rows, s] >= 0) & (outcomes[dev_rows, w] >= 0)]
    acc = expected_accuracy(memory[train_rows], outcomes[train_rows], queries[dev_pair], k)
    strong, weak = outcomes[dev_pair, s], outcomes[dev_pair, w]
    metrics = {
        "reference_pair": {"strong": STRONG, "weak": WEAK},
        "k": k, "k_by": f"{FOLDS}-fold cross-validation over train+dev (pair APGR)",
        "cross_validation": {str(key): v for key, v in cv.items()},
        "dev_with_train_memory": _pair_apgr(acc, s, w, strong, weak),
        "dev_random_apgr": 0.5, "dev_oracle_apgr": round(apgr(pair_curve(oracle_score(strong, weak), strong, weak)), 4),
        "dev_quality": {"strong": round(float(strong.mean()), 4), "weak": round(float(weak.mean()), 4)},
        "dev_size": len(dev_pair), "memory_rows": int(memory.shape[0]), "memory_nnz": int(memory.nnz),
    }
    HEADS_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(HEADS_DIR / "difficulty.npz", indptr=memory.indptr.astype(np.int32),
                        indices=memory.indices.astype(np.int32), values=memory.data.astype(np.float16),
                        outcomes=outcomes, output_tokens=lengths,
                        question_ids=np.array([r["question_id"] for r in rows], dtype=np.int64), splits=splits)
    meta = {
        "name": "difficulty", "feature_version": FEATURE_VERSION, "version": version, "encoder_id": ENCODER_ID,
        "models": models, "strong": STRONG, "weak": WEAK, "k": k, "keep_features": KEEP_FEATURES,
        "splits": list(SPLITS),
        "trained_on": "MMLU-Pro train + dev per-model outcomes and answer lengths (../shared/data/mmlu_pro_routing, "
                      "MIT); question + options text",
        "metrics": metrics, "command": "router-extproc train difficulty",
    }
    (HEADS_DIR / "difficulty.json").write_text(json.dumps(meta, indent=2) + "\n")
    metrics["seconds"] = round(time.time() - started, 1)
    print_report("difficulty (similarity-weighted outcomes)", metrics)
    return metrics
