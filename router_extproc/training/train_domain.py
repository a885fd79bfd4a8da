"""``router-extproc train domain``: 14 MMLU-Pro categories + ``general`` on the shared features.

Train: MMLU-Pro train questions (category labels) + the train part of the everyday chat set
(label ``general``). Dev: the dev parts of both. The dense-feature scale (0.5) and C (30)
were chosen on dev among {0, 0.5, 1, 2, 4} x {3, 10, 30}.
"""

from __future__ import annotations

import pathlib
import time
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score

from router_extproc.encoder.assets import ENCODER_ID
from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.heads import LinearHead
from router_extproc.training import data
from router_extproc.training.fit import design_matrix, featurize_all, fit_logistic
from router_extproc.training.report import print_report

DENSE_SCALE = 0.5
C = 30.0
MAX_TOKENS = 256


def train(data_dir: pathlib.Path, version: str = "v1") -> dict:
    started = time.time()
    featurizer = Featurizer()
    train_rows, dev_rows = data.mmlu_pro(data_dir, "train"), data.mmlu_pro(data_dir, "dev")
    chat_train, chat_dev = data.everyday_chat("train"), data.everyday_chat("dev")
    x_train = [r["question"] for r in train_rows] + [r["text"] for r in chat_train]
    y_train = np.array([r["category"] for r in train_rows] + ["general"] * len(chat_train))
    x_dev = [r["question"] for r in dev_rows] + [r["text"] for r in chat_dev]
    y_dev = np.array([r["category"] for r in dev_rows] + ["general"] * len(chat_dev))
    f_train = featurize_all(featurizer, x_train, MAX_TOKENS, "featurizing train")
    f_dev = featurize_all(featurizer, x_dev, MAX_TOKENS, "featurizing dev")
    print(f"fitting logistic regression on {len(x_train)} texts ...", flush=True)
    dense, sparse, bias, model = fit_logistic(design_matrix(f_train, DENSE_SCALE), y_train, C, featurizer.static.dim,
                                              DENSE_SCALE)
    predicted = model.predict(design_matrix(f_dev, DENSE_SCALE))
    categories = sorted(set(y_dev) - {"general"})
    exam = y_dev != "general"
    metrics: dict[str, Any] = {
        "dev_accuracy_14": round(float(accuracy_score(y_dev[exam], predicted[exam])), 4),
        "dev_macro_f1_14": round(float(f1_score(y_dev[exam], predicted[exam], average="macro", labels=categories)), 4),
        "dev_accuracy_15": round(float(accuracy_score(y_dev, predicted)), 4),
        "dev_general_recall": round(float((predicted[~exam] == "general").mean()), 4),
        "dev_exam_questions_called_general": int(((predicted == "general") & exam).sum()),
        "dev_size": int(len(y_dev)),
        "train_size": int(len(y_train)),
    }
    per_class = classification_report(y_dev, predicted, output_dict=True, zero_division=0)
    metrics["dev_f1_per_class"] = {k: round(v["f1-score"], 3) for k, v in per_class.items() if k in set(y_dev)}
    LinearHead.save(
        "domain", list(model.classes_), dense, sparse, bias,
        {
            "version": version,
            "encoder_id": ENCODER_ID,
            "trained_on": "MMLU-Pro train split (../shared/data/mmlu_pro_routing, MIT) question text; "
                          "bench/data/everyday_chat.jsonl train part as 'general'",
            "hyperparameters": {"C": C, "dense_scale": DENSE_SCALE, "max_tokens": MAX_TOKENS},
            "metrics": metrics,
            "command": "router-extproc train domain",
        },
    )
    metrics["seconds"] = round(time.time() - started, 1)
    print_report("domain head, dev split", metrics)
    return metrics
