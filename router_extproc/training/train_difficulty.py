"""``router-extproc train difficulty``: a similarity-weighted outcome memory (RouteLLM's SW idea).

Text heads that predict "the weak model fails" stay near APGR 0.53-0.54 on MMLU-Pro: whether
a question is hard is barely visible in its words. What is visible is *which training
questions it resembles*: MMLU-Pro has families of near-identical questions, and their
outcomes transfer. The artifact stores, for every train question, its lexical TF-IDF vector
(pruned to its strongest features) and the correctness of all 29 models; at run time the k
nearest questions (cosine, weights sim^2) give each model's expected accuracy on the prompt.
``difficulty`` = expected accuracy(strong) - expected accuracy(weak) for the reference pair:
the expected gain of sending the prompt to the strong model. k and the pruning were chosen on dev.
"""

from __future__ import annotations

import pathlib
import time

import numpy as np
import scipy.sparse as sp

from router_extproc.encoder.assets import ENCODER_ID
from router_extproc.encoder.features import HASH_DIM, Featurizer
from router_extproc.encoder.heads import FEATURE_VERSION, HEADS_DIR
from router_extproc.evaluation.metrics import apgr, cpt, oracle_score, pair_curve
from router_extproc.signals.difficulty import neighbour_outcomes
from router_extproc.training import data
from router_extproc.training.fit import featurize_all
from router_extproc.training.report import print_report

STRONG, WEAK = "Meta-Llama-3_1-70B-Instruct", "Meta-Llama-3_1-8B-Instruct"
K_GRID = (20, 30, 50)
KEEP_FEATURES = 128


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


def train(data_dir: pathlib.Path, version: str = "v1") -> dict:
    started = time.time()
    featurizer = Featurizer()
    train_rows, dev_rows = data.mmlu_pro(data_dir, "train"), data.mmlu_pro(data_dir, "dev")
    models = sorted({m for r in train_rows for m in r["correct"]})
    outcomes = np.full((len(train_rows), len(models)), -1, dtype=np.int8)
    for i, r in enumerate(train_rows):
        for m, ok in r["correct"].items():
            outcomes[i, models.index(m)] = int(ok)
    memory = memory_matrix(featurize_all(featurizer, [question_text(r) for r in train_rows], 256, "train"), KEEP_FEATURES)
    dev_pair = [r for r in dev_rows if STRONG in r["correct"] and WEAK in r["correct"]]
    query = memory_matrix(featurize_all(featurizer, [question_text(r) for r in dev_pair], 256, "dev"), 10**9)
    strong = np.array([r["correct"][STRONG] for r in dev_pair])
    weak = np.array([r["correct"][WEAK] for r in dev_pair])
    s, w = models.index(STRONG), models.index(WEAK)
    sweep = {}
    for k in K_GRID:
        acc = expected_accuracy(memory, outcomes, query, k)
        curve = pair_curve(acc[:, s] - acc[:, w], strong, weak)
        sweep[k] = {"apgr": round(apgr(curve), 4), "cpt50": round(cpt(curve, 0.5), 4), "cpt80": round(cpt(curve, 0.8), 4)}
        print(f"k={k}: {sweep[k]}", flush=True)
    k = max(sweep, key=lambda key: sweep[key]["apgr"])
    oracle = pair_curve(oracle_score(strong, weak), strong, weak)
    metrics = {
        "reference_pair": {"strong": STRONG, "weak": WEAK},
        "k": k, "dev": sweep[k], "dev_sweep": {str(key): v for key, v in sweep.items()},
        "dev_random_apgr": 0.5, "dev_oracle_apgr": round(apgr(oracle), 4),
        "dev_quality": {"strong": round(float(strong.mean()), 4), "weak": round(float(weak.mean()), 4)},
        "dev_size": len(dev_pair), "memory_rows": int(memory.shape[0]), "memory_nnz": int(memory.nnz),
    }
    HEADS_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(HEADS_DIR / "difficulty.npz", indptr=memory.indptr.astype(np.int32),
                        indices=memory.indices.astype(np.int32), values=memory.data.astype(np.float16),
                        outcomes=outcomes)
    import json

    meta = {
        "name": "difficulty", "feature_version": FEATURE_VERSION, "version": version, "encoder_id": ENCODER_ID,
        "models": models, "strong": STRONG, "weak": WEAK, "k": k, "keep_features": KEEP_FEATURES,
        "trained_on": "MMLU-Pro train split per-model outcomes (../shared/data/mmlu_pro_routing, MIT); "
                      "question + options text",
        "metrics": metrics, "command": "router-extproc train difficulty",
    }
    (HEADS_DIR / "difficulty.json").write_text(json.dumps(meta, indent=2) + "\n")
    metrics["seconds"] = round(time.time() - started, 1)
    print_report("difficulty (similarity-weighted outcomes), dev split", metrics)
    return metrics
