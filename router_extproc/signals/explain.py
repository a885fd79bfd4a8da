"""Explain a decision without leaking the prompt: the ``x-router-signals`` header value.

Only scores and labels from fixed vocabularies (domain labels, PII types, language codes,
media kinds, evasion tricks) appear; keyword and similarity signals show match/score only.
"""

from __future__ import annotations

from collections.abc import Mapping

from router_extproc.policy.spec import PUBLIC_LABEL_SIGNALS
from router_extproc.signals.base import SignalResult

MAX_HEADER_CHARS = 512


def signals_header(results: Mapping[str, SignalResult], shadowed: tuple[str, ...] = ()) -> str:
    """``ref=score[:labels];...``, then ``shadow=decision+decision`` for shadow-mode decisions that matched."""
    parts = []
    for ref, result in results.items():
        if ref.startswith("_"):
            continue
        if ref == "context_length" or ref.startswith("context_length:"):
            value = f"{int(result.score)}"
        else:
            value = f"{result.score:.3g}"
        labels = sorted(result.labels) if public_labels(ref) else []
        if result.error:
            labels = ["error"]
        parts.append(f"{ref}={value}" + (":" + "+".join(labels).replace(" ", "_") if labels else ""))
    if shadowed:
        parts.insert(0, "shadow=" + "+".join(shadowed))  # first: never cut by the length limit
    return ";".join(parts)[:MAX_HEADER_CHARS]


def public_labels(ref: str) -> bool:
    """Whether a signal's labels come from a fixed vocabulary (safe for headers and logs)."""
    return ref in PUBLIC_LABEL_SIGNALS
