"""The decision log: one JSON line per LLM request, for audits, drift checks and re-training.

PII-free by construction: the entry is built from the ``RequestRecord`` (policy names,
numbers, fixed-vocabulary labels), never from the prompt. With a key configured
(``ROUTER_DECISION_LOG_KEY``) a keyed hash (HMAC-SHA256) of the prompt lets you join a line
to a prompt store you control, or count repeats, without the log revealing the text.
Lines are written by a background thread (``QueueListener``): the request path only
enqueues. To stdout, or to a size-rotated file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import logging.handlers
import queue
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from router_extproc.signals.explain import public_labels
from router_extproc.telemetry.record import RequestRecord

KEY_ENV = "ROUTER_DECISION_LOG_KEY"


class DecisionLog:
    def __init__(self, handler: logging.Handler, key: bytes | None = None) -> None:
        self._key = key
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._logger = logging.Logger("router_extproc.decisions")  # not in the logging tree: no propagation
        self._logger.addHandler(logging.handlers.QueueHandler(self._queue))
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._listener = logging.handlers.QueueListener(self._queue, handler)
        self._handler = handler
        self._listener.start()

    @classmethod
    def open(cls, target: str, max_bytes: int = 100 * 1024 * 1024, backups: int = 5, key: bytes | None = None) -> DecisionLog:
        """``-`` for stdout, else a file rotated at ``max_bytes`` keeping ``backups`` old files."""
        if target == "-":
            return cls(logging.StreamHandler(sys.stdout), key)
        return cls(logging.handlers.RotatingFileHandler(target, maxBytes=max_bytes, backupCount=backups,
                                                        encoding="utf-8"), key)

    def prompt_hash(self, texts: Iterable[str]) -> str | None:
        """Keyed hash of the prompt texts; None without a key (a bare hash of a short prompt
        can be reversed by guessing, so there is none)."""
        if self._key is None:
            return None  # before touching the texts: without a key this costs nothing
        digest = hmac.new(self._key, digestmod=hashlib.sha256)
        for text in texts:
            digest.update(text.encode("utf-8", "replace"))
            digest.update(b"\x00")
        return digest.hexdigest()[:32]

    def write(self, record: RequestRecord) -> None:
        if record.outcome == "passthrough":
            return
        self._logger.info(orjson.dumps(entry(record)).decode())

    def close(self) -> None:
        self._listener.stop()
        self._handler.close()


def entry(record: RequestRecord) -> dict[str, Any]:
    """The log line's fields (documented in docs/operations.md)."""
    line: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.started_ns / 1e9, UTC).isoformat(timespec="milliseconds"),
        "request_id": record.request_id,
        "policy": record.policy_version,
        "endpoint": record.endpoint,
        "stream": record.stream,
        "requested_model": record.requested_model,
        "decision": record.decision or None,
        "model": record.model or None,
        "reason": record.reason or None,
        "outcome": record.outcome,
        "status": record.status,
        "blocked_reason": record.blocked_reason,
        "refused_code": record.refused_code,
        "signals": {ref: _signal(ref, result) for ref, result in record.signals.items() if not ref.startswith("_")},
        "router_ms": _ms(record.router_seconds),
        "ttfb_ms": _ms(record.ttfb_seconds),
        "first_chunk_ms": _ms(record.first_chunk_seconds),
        "upstream_ms": _ms(record.upstream_seconds),
        "prompt_tokens": record.usage.prompt_tokens if record.usage else None,
        "completion_tokens": record.usage.completion_tokens if record.usage else None,
        "cost_usd": round(record.cost_usd, 8) if record.cost_usd is not None else None,
    }
    if record.fallback_from is not None:
        line["fallback"] = {"from": record.fallback_from, "attempts": record.attempts}
    if record.cascade is not None:
        line["cascade"] = {"outcome": record.cascade, "reason": record.cascade_reason}
    if record.calls:
        line["calls"] = [{"model": c.model, "stage": c.stage, "status": c.status,
                          "prompt_tokens": c.usage.prompt_tokens if c.usage else None,
                          "completion_tokens": c.usage.completion_tokens if c.usage else None,
                          "cost_usd": round(c.cost_usd, 8) if c.cost_usd is not None else None,
                          "ms": _ms(c.seconds)} for c in record.calls]
    if record.shadowed:
        line["shadow"] = list(record.shadowed)
    if record.error:
        line["error"] = record.error
    if record.prompt_hash:
        line["prompt_hash"] = record.prompt_hash
    if record.trace_id:
        line["trace_id"] = record.trace_id
    if record.cache is not None:
        line["cache"] = record.cache
        line["cache_reason"] = record.cache_reason
    return line


def _signal(ref: str, result) -> dict[str, Any]:
    out: dict[str, Any] = {"score": round(float(result.score), 4), "matched": result.matched}
    if result.confidence != 1.0:
        out["confidence"] = round(float(result.confidence), 4)
    if public_labels(ref) and result.labels:
        out["labels"] = sorted(result.labels)
    if result.error:
        out["error"] = True
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
