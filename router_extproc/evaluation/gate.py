"""``router-extproc eval-gate``: how often a safety gate refuses real traffic, and what it catches.

Runs the server's own code: every request is parsed as a chat request, its signals computed by
the policy's ``Router`` and decided by ``Router.decide``, so the refusal rate is the policy's,
at its own threshold. Traffic:
- conversation files (``{id?, conversation?, turns: [{role, text}], suspect?}`` JSON lines,
  ShareGPT's shape; records that are parts of one chat are one unit, ``source_conversation``): each
  user turn sent as a chat client sends it, with the whole history before it; reported overall,
  by turn depth and by the length of the new user message; every user message also sent alone;
  conversations marked ``suspect`` are reported apart (they may hold real attacks);
- labelled text files (CSV or JSON lines with ``text``/``prompt`` and ``label``; a JSON list of
  strings is all attacks; ``--attacks``/``--benign`` label a whole file): each text sent alone,
  reported as AUC, TPR and FPR.
The gate's score per request also gives a threshold sweep, and ``--calibrate`` picks the lowest
threshold that keeps the refusal rates within bounds (assuming the gate's block decision is the
policy's first: its refusals are the score at or above the threshold).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import pathlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from router_extproc.endpoints import parse_body
from router_extproc.errors import Blocked, RequestError
from router_extproc.evaluation.bootstrap import resample_counts
from router_extproc.policy.spec import Policy
from router_extproc.routing.router import Router
from router_extproc.signals import SharedArtifacts, SignalResult

DEPTHS = (("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5+", 5, 10**9))
LENGTHS = (("<16", 0, 15), ("16-63", 16, 63), ("64-255", 64, 255), ("256-1023", 256, 1023), ("1024+", 1024, 10**9))
ROLES = {"user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant", "system": "system",
         "tool": "tool", "developer": "developer"}


@dataclass
class Scored:
    """One request: the gate's score, whether the policy refused it, and how it was sent."""

    score: float
    matched: bool
    refused: bool
    second_stage: bool = False
    depth: int = 1
    tokens: int = 0
    group: str = ""
    conversation: int = -1
    """Index of the conversation the request came from, the same for every part of a chat split
    into records (``source_conversation``); -1: a labelled text."""


@dataclass
class GateReport:
    policy: str
    signal: str
    threshold: float
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    labelled: dict[str, dict[str, Any]] = field(default_factory=dict)
    sweep: list[dict[str, Any]] = field(default_factory=list)
    calibrated: dict[str, Any] | None = None


def _open(path: pathlib.Path) -> io.TextIOBase:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8", newline="")


def is_conversation_file(path: pathlib.Path) -> bool:
    if ".jsonl" not in path.name:
        return False
    with _open(path) as f:
        for line in f:
            if line.strip():
                return "turns" in json.loads(line)
    return False


_SHAREGPT_PART = re.compile(r"([A-Za-z0-9]{7})_[0-9]+")


def source_conversation(row: dict[str, Any], position: int) -> str:
    """The conversation a record belongs to: its ``conversation`` field where it has one; else,
    for a ShareGPT id, the id without its part number. ShareGPT splits a long chat into records
    ``X_0``, ``X_11``, ... (seven characters, then the turn each part starts at): consecutive
    stretches of one chat, with its topic and often its pasted code, so not independent samples;
    they are one unit when conversations are resampled. Any other record is its own (``conv_1``
    and ``conv_2`` stay apart); ``position`` names one without an id."""
    explicit = row.get("conversation")
    if isinstance(explicit, str | int) and not isinstance(explicit, bool):
        return f"conversation {explicit}"
    ident = row.get("id")
    if not isinstance(ident, str) or not ident:
        return f"record #{position}"
    part = _SHAREGPT_PART.fullmatch(ident)
    return f"id {part.group(1) if part else ident}"


@dataclass(frozen=True)
class Conversation:
    source: str
    """``source_conversation``: records that are parts of one chat share it."""
    suspect: bool
    messages: list[dict[str, str]]
    """Roles mapped to the chat API's."""


def read_conversations(path: pathlib.Path, limit: int | None = None) -> Iterator[Conversation]:
    """Each record of a conversation file (``limit``: the first ones only)."""
    with _open(path) as f:
        count = 0
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            messages = [{"role": ROLES.get(t["role"], "user"), "content": t["text"]} for t in row["turns"]]
            yield Conversation(source_conversation(row, count), bool(row.get("suspect", False)), messages)
            count += 1
            if limit is not None and count >= limit:
                return


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: int
    """1 = attack."""
    category: str = ""
    """The file's ``category`` column where it has one (neuralchemy: ``jailbreak``, ``encoding``, ...)."""


def read_labelled_rows(path: pathlib.Path, label: int | None = None) -> list[LabelledText]:
    """Labelled texts from CSV, JSON lines or a JSON list of strings; ``FILE:train`` or
    ``FILE:dev`` reads one half of a file split by near-duplicate family (``data.family_half``)."""
    name, _, half = str(path).rpartition(":")
    if half in ("train", "dev") and name:
        from router_extproc.training.data import family_half

        rows = read_labelled_rows(pathlib.Path(name), label)
        kept = set(family_half([r.text for r in rows], half))
        return [r for r in rows if r.text in kept]
    if path.suffix == ".json":
        loaded = json.loads(path.read_text(encoding="utf-8"))
        items = loaded if isinstance(loaded, list) else [loaded]
        return [LabelledText(t, 1 if label is None else label) for t in items if isinstance(t, str) and t.strip()]
    out: list[LabelledText] = []
    with _open(path) as f:
        rows_in: Iterator[dict[str, Any]] = (csv.DictReader(f) if ".csv" in path.name
                                             else (json.loads(line) for line in f if line.strip()))
        for row in rows_in:
            text = row.get("text") or row.get("prompt")
            if not isinstance(text, str) or not text.strip():
                continue
            value = row.get("label") if label is None else label
            if value is None:
                raise ValueError(f"{path}: a row has no 'label'; pass the file with --attacks or --benign")
            out.append(LabelledText(text, int(str(value).strip() in ("1", "True", "true")), str(row.get("category") or "")))
    return out


def read_labelled(path: pathlib.Path, label: int | None = None) -> tuple[list[str], list[int]]:
    """Texts and labels (1 = attack), as ``read_labelled_rows`` reads them."""
    rows = read_labelled_rows(path, label)
    return [r.text for r in rows], [r.label for r in rows]


class GateEvaluation:
    def __init__(self, policy: Policy, signal: str = "jailbreak", models: SharedArtifacts | None = None) -> None:
        if signal not in policy.signals.names():
            raise ValueError(f"the policy declares no {signal!r} signal")
        self.router = Router(policy, artifacts=models)
        self.signal = signal
        self._model = policy.auto_model_names[0]

    @property
    def threshold(self) -> float:
        gate = next(s for s in self.router.signals.signals if s.ref == self.signal)
        return float(getattr(gate, "threshold", 0.5))

    def score(self, messages: list[dict[str, str]]) -> Scored:
        request = parse_body("chat", {"model": self._model, "messages": messages})
        results = self.router.compute_signals(request)
        result: SignalResult | None = results.get(self.signal)
        try:
            self.router.decide(request.model, results, {})
            refused = False
        except Blocked:
            refused = True
        except RequestError:
            refused = False
        if result is None:
            return Scored(0.0, False, refused)
        second = bool((result.details or {}).get("second_stage"))
        score = 1.0 if result.error else result.score
        return Scored(score, result.matched, refused, second)

    def conversations(self, path: pathlib.Path, limit: int | None = None) -> dict[str, list[Scored]]:
        """Requests of every user turn with its history, single user messages, suspect requests."""
        tokenizer = self.router.signals.tokenizer
        out: dict[str, list[Scored]] = {"requests": [], "single": [], "suspect": []}
        sources: dict[str, int] = {}
        for record in read_conversations(path, limit):
            index = sources.setdefault(record.source, len(sources))
            suspect, messages = record.suspect, record.messages
            depth = 0
            for i, message in enumerate(messages):
                if message["role"] != "user" or not message["content"].strip():
                    continue
                depth += 1
                tokens = tokenizer.count(message["content"][:100_000])
                scored = self.score(messages[: i + 1])
                scored.depth, scored.tokens, scored.conversation = depth, tokens, index
                if suspect:
                    out["suspect"].append(scored)
                    continue
                out["requests"].append(scored)
                alone = self.score([message])
                alone.tokens, alone.conversation = tokens, index
                out["single"].append(alone)
        return out

    def labelled(self, path: pathlib.Path, label: int | None = None) -> tuple[list[Scored], list[int]]:
        """Each text sent alone; a row's category is kept as the result's ``group``."""
        rows = read_labelled_rows(path, label)
        scored = [self.score([{"role": "user", "content": r.text}]) for r in rows]
        for result, row in zip(scored, rows, strict=True):
            result.group = row.category
        return scored, [r.label for r in rows]


def _rate(values: Sequence[bool]) -> float | None:
    return round(float(np.mean(values)), 5) if len(values) else None


def conversation_summary(scored: dict[str, list[Scored]]) -> dict[str, Any]:
    requests, single = scored["requests"], scored["single"]
    return {
        "conversations": len({s.conversation for s in requests}),
        "requests": len(requests),
        "refused": _rate([s.refused for s in requests]),
        "matched": _rate([s.matched for s in requests]),
        "second_stage": _rate([s.second_stage for s in requests]),
        "single_messages": len(single),
        "single_refused": _rate([s.refused for s in single]),
        "by_depth": {name: {"n": len(sel), "refused": _rate([s.refused for s in sel])}
                     for name, lo, hi in DEPTHS for sel in [[s for s in requests if lo <= s.depth <= hi]]},
        "by_length": {name: {"n": len(sel), "refused": _rate([s.refused for s in sel])}
                      for name, lo, hi in LENGTHS for sel in [[s for s in requests if lo <= s.tokens <= hi]]},
        "single_by_length": {name: {"n": len(sel), "refused": _rate([s.refused for s in sel])}
                             for name, lo, hi in LENGTHS for sel in [[s for s in single if lo <= s.tokens <= hi]]},
        "refused_interval": refusal_interval(requests),
        "single_refused_interval": refusal_interval(single),
        "suspect_requests": len(scored["suspect"]),
        "suspect_refused": _rate([s.refused for s in scored["suspect"]]),
    }


RESAMPLES = 2000
"""Resamples of the conversations for the refusal intervals and the confident threshold."""


def refusal_interval(scored: Sequence[Scored], resamples: int = RESAMPLES, seed: int = 0) -> list[float] | None:
    """95% interval of the refusal rate with whole conversations resampled: the requests of one
    conversation are not independent (a refused message is re-sent, and refused, at every later
    turn), so the rate on other conversations of the same source varies more than a count of
    requests suggests. What a bound met on dev may come to on withheld data."""
    if not scored:
        return None
    _, owner = np.unique([s.conversation for s in scored], return_inverse=True)
    counts = resample_counts(int(owner.max()) + 1, resamples, seed)
    rates = _resampled_rates(counts, owner, np.array([s.refused for s in scored]))
    return [round(float(np.percentile(rates, 2.5)), 5), round(float(np.percentile(rates, 97.5)), 5)]


def _resampled_rates(counts: np.ndarray, owner: np.ndarray, hit: np.ndarray,
                     sent: np.ndarray | None = None) -> np.ndarray:
    """Per resample (a row of ``counts`` over conversations): the share of requests that ``hit``,
    each request counted as often as its conversation (``owner``) was drawn. ``sent``, requests
    per conversation, when the caller has it already."""
    if sent is None:
        sent = np.bincount(owner, minlength=counts.shape[1]).astype(float)
    hits = np.bincount(owner, weights=hit.astype(float), minlength=counts.shape[1])
    return (counts @ hits) / np.maximum(counts @ sent, 1.0)


def labelled_summary(scored: list[Scored], labels: list[int]) -> dict[str, Any]:
    y = np.array(labels)
    refused = np.array([s.refused for s in scored])
    scores = np.array([s.score for s in scored])
    out: dict[str, Any] = {"n_attack": int((y == 1).sum()), "n_benign": int((y == 0).sum())}
    if (y == 1).any():
        out["tpr"] = round(float(refused[y == 1].mean()), 4)
    if (y == 0).any():
        out["fpr"] = round(float(refused[y == 0].mean()), 4)
    if (y == 1).any() and (y == 0).any():
        from sklearn.metrics import roc_auc_score

        out["auc"] = round(float(roc_auc_score(y, scores)), 4)
    categories = sorted({s.group for s, label in zip(scored, labels, strict=True) if label == 1 and s.group})
    if categories:  # which kinds of attack are missed (some are out of the gate's scope)
        out["tpr_by_category"] = {c: {"n": len(sel), "tpr": round(float(np.mean(sel)), 4)} for c in categories
                                  for sel in [[s.refused for s, label in zip(scored, labels, strict=True)
                                               if label == 1 and s.group == c]]}
    return out


def sweep(chat: dict[str, list[Scored]] | None, labelled: dict[str, tuple[list[Scored], list[int]]],
          thresholds: Sequence[float]) -> list[dict[str, Any]]:
    """Refusal rates and TPR/FPR had the gate's threshold been each of ``thresholds``."""
    rows = []
    for t in thresholds:
        row: dict[str, Any] = {"threshold": round(float(t), 4)}
        if chat is not None:
            row["refused"] = _rate([s.score >= t for s in chat["requests"]])
            row["single_refused"] = _rate([s.score >= t for s in chat["single"]])
        for name, (scored, labels) in labelled.items():
            y = np.array(labels)
            hit = np.array([s.score >= t for s in scored])
            if (y == 1).any():
                row[f"{name} tpr"] = round(float(hit[y == 1].mean()), 4)
            if (y == 0).any():
                row[f"{name} fpr"] = round(float(hit[y == 0].mean()), 4)
        rows.append(row)
    return rows


def sweep_thresholds(chat: dict[str, list[Scored]] | None, current: float) -> list[float]:
    """Thresholds worth showing: where the chat refusal rate crosses 0.1%-5%, and the current one."""
    values = {current, 0.5, 0.9}
    if chat is not None and chat["requests"]:
        scores = np.array([s.score for s in chat["requests"]])
        values |= {float(np.quantile(scores, 1 - q)) + 1e-6 for q in (0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.05)}
    return sorted(v for v in values if 0 < v < 1.0 + 1e-6)


CONFIDENCE = 0.8
"""Share of conversation resamples in which a calibrated threshold must keep both refusal rates
within their bounds. The rate on dev alone, right at the bound, is a coin flip on other traffic
of the same kind (ShareGPT dev at the bound, gate v4: 0.49% of requests, 95% interval 0.23%-0.80%,
records as the unit)."""


def calibrate(chat: dict[str, list[Scored]], max_refusal: float, max_single_refusal: float,
              confidence: float = CONFIDENCE) -> float:
    """The lowest threshold refusing at most ``max_refusal`` of requests and ``max_single_refusal``
    of single messages (the gate's score at or above it), in ``confidence`` of resamples of the
    conversations (0: on the data as it is), ``with_margin``."""
    requests, single = chat["requests"], chat["single"]
    request_scores, single_scores = np.array([s.score for s in requests]), np.array([s.score for s in single])
    found = confident_threshold(request_scores, np.array([s.conversation for s in requests]),
                                single_scores, np.array([s.conversation for s in single]),
                                max_refusal, max_single_refusal, confidence)
    return with_margin(found, np.concatenate([request_scores, single_scores]))


def confident_threshold(requests: np.ndarray, request_conversations: np.ndarray, single: np.ndarray,
                        single_conversations: np.ndarray, max_refusal: float, max_single_refusal: float,
                        confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = 0) -> float:
    """The lowest threshold, at or above one of the scores, at which both refusal rates are within
    their bounds in ``confidence`` of ``resamples`` resamples of whole conversations (one draw of
    conversations serves both rates). Each resample's rates only fall as the threshold rises, so
    the answer is found by bisection over the scores. ``confidence`` 0: ``lowest_threshold``."""
    point = lowest_threshold(requests, single, max_refusal, max_single_refusal)
    if confidence <= 0 or not len(requests):
        return point
    ids, owner = np.unique(np.concatenate([request_conversations, single_conversations]), return_inverse=True)
    counts = resample_counts(len(ids), resamples, seed)
    rates_of = [(scores, own, np.bincount(own, minlength=len(ids)).astype(float), bound)
                for scores, own, bound in ((requests, owner[: len(requests)], max_refusal),
                                           (single, owner[len(requests) :], max_single_refusal)) if len(scores)]

    def within(threshold: float) -> bool:
        return all(np.mean(_resampled_rates(counts, own, scores >= threshold, sent) <= bound + 1e-12) >= confidence
                   for scores, own, sent, bound in rates_of)

    candidates = np.unique(np.nextafter(np.concatenate([requests, single]), np.inf))
    candidates = candidates[candidates >= point]  # the point estimate is the least any confidence needs
    low, high = 0, len(candidates)  # the answer is candidates[low] (high: nothing is within)
    while low < high:
        middle = (low + high) // 2
        if within(float(candidates[middle])):
            high = middle
        else:
            low = middle + 1
    return float(candidates[low]) if low < len(candidates) else float(np.nextafter(candidates[-1], np.inf))


MARGIN_LOGIT = 0.05
"""How far (in logits) a calibrated threshold sits above the highest score it keeps, when the
next score up allows. Without it the threshold was one float step above that score, and int8
inference rounds differently on different CPUs: on a machine with other vector units, gate v9's
threshold message (a number-guessing game, re-sent at 23 later turns) scored 0.001 logits above
its threshold, and ShareGPT dev requests refused went from 0.20% to 0.59%. Some texts move more
(docs/safety.md); a margin cannot cover every one, only keep one message from deciding by a hair."""


def with_margin(threshold: float, scores: np.ndarray) -> float:
    """A calibrated probability ``threshold`` (one float step above the highest kept score)
    moved up by ``MARGIN_LOGIT`` logits, or halfway to the next score above when that is nearer:
    the same scores are kept and refused, with room on both sides for another machine's rounding."""
    kept = float(np.nextafter(threshold, -np.inf))
    if not 0.0 < kept < 1.0:
        return threshold
    above = scores[scores > kept]
    z = _logit(kept)
    lifted = z + MARGIN_LOGIT
    if len(above):
        lifted = min(lifted, (z + _logit(float(above.min()))) / 2)
    return max(threshold, float(1.0 / (1.0 + np.exp(-lifted))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def lowest_threshold(requests: np.ndarray, single: np.ndarray, max_refusal: float, max_single_refusal: float) -> float:
    """The lowest threshold, at or above one of the scores, that refuses (score >= it) at most
    ``max_refusal`` of ``requests`` and ``max_single_refusal`` of ``single``: just above the
    highest score each bound must keep (order statistics; an interpolated quantile would let one
    more through). ``confident_threshold`` never goes below it."""
    kept = [_highest_kept(requests, max_refusal), _highest_kept(single, max_single_refusal)]
    lowest = float(min(requests.min(initial=np.inf), single.min(initial=np.inf)))
    return float(np.nextafter(max(*kept, lowest), np.inf))


def _highest_kept(scores: np.ndarray, rate: float) -> float:
    """The highest score that must not be refused for at most ``rate`` of ``scores`` to be (ties
    at it are all kept); ``-inf`` when every score may be."""
    allowed = int(np.floor(rate * len(scores) + 1e-9))
    ordered = np.sort(scores)[::-1]
    return float(ordered[allowed]) if allowed < len(ordered) else -np.inf


def markdown(report: GateReport) -> str:
    lines = [f"# eval-gate: policy {report.policy}, signal {report.signal}, threshold {report.threshold:.4f}", ""]
    for name, c in report.conversations.items():
        lines += [f"## {name}", "",
                  f"- requests (each user turn with its history): {c['requests']} from {c['conversations']} "
                  f"conversations, refused {_pct(c['refused'])} "
                  f"{_interval(c.get('refused_interval'))}, second stage {_pct(c['second_stage'])}",
                  f"- single user messages: {c['single_messages']}, refused {_pct(c['single_refused'])} "
                  f"{_interval(c.get('single_refused_interval'))}",
                  "  (95% intervals with whole conversations resampled: what another sample of the same "
                  "traffic may give)",
                  f"- suspect conversations (reported apart): {c['suspect_requests']} requests, refused "
                  f"{_pct(c['suspect_refused'])}", "",
                  "| turn depth | n | refused |", "|---|---|---|"]
        lines += [f"| {k} | {v['n']} | {_pct(v['refused'])} |" for k, v in c["by_depth"].items()]
        lines += ["", "| new message tokens | requests | refused | alone: n | refused |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['n']} | {_pct(v['refused'])} | {c['single_by_length'][k]['n']} | "
                  f"{_pct(c['single_by_length'][k]['refused'])} |" for k, v in c["by_length"].items()]
        lines.append("")
    if report.labelled:
        lines += ["## Labelled sets (each text alone)", "", "| set | attacks | benign | TPR | FPR | AUC |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {k} | {v['n_attack']} | {v['n_benign']} | {v.get('tpr', '')} | {v.get('fpr', '')} | "
                  f"{v.get('auc', '')} |" for k, v in report.labelled.items()]
        lines.append("")
        for k, v in report.labelled.items():
            if "tpr_by_category" in v:
                lines += [f"TPR by attack category, {k}: " + ", ".join(
                    f"{c} {x['tpr']:.2f} (n={x['n']})" for c, x in v["tpr_by_category"].items()), ""]
    if report.sweep:
        keys = list(report.sweep[0])
        lines += ["## Threshold sweep", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(str(row.get(k, "")) for k in keys) + " |" for row in report.sweep]
        lines.append("")
    if report.calibrated:
        lines.append(f"Calibrated: threshold {report.calibrated['threshold']:.4f} ({report.calibrated['target']})")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _interval(bounds: list[float] | None) -> str:
    return "" if not bounds else f"(95% interval {bounds[0]:.2%}-{bounds[1]:.2%})"
