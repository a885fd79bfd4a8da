"""What one request did, filled phase by phase and handed to every observer at stream end.

Metrics, the decision log and the trace read the same record, so they cannot disagree.
It holds no prompt text: only names from the policy, numbers and fixed vocabularies.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Literal

from router_extproc.endpoints.paths import Endpoint
from router_extproc.endpoints.usage import Usage
from router_extproc.signals.base import SignalResult

Outcome = Literal["ok", "upstream_error", "blocked", "refused", "fail_safe", "no_response", "cancelled", "passthrough"]
"""``ok``: upstream answered 2xx; ``upstream_error``: it answered 4xx/5xx; ``blocked``: a
policy decision refused it; ``refused``: bad input (400/404/413); ``fail_safe``: the router
failed and sent it to the default model; ``no_response``: the stream ended before response
headers (client gone, upstream unreachable); ``cancelled``: the stream broke off during
the response body (client gone mid-answer); ``passthrough``: not an LLM endpoint."""


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def safe_request_id(value: str | None) -> str:
    """The request id as logs may carry it: Envoy's UUID, or a client's id of at most 128
    plain characters; anything else (oversized, odd characters, text) becomes ``invalid``."""
    if not value:
        return "-"
    return value if _REQUEST_ID.fullmatch(value) else "invalid"


@dataclass
class CallRecord:
    """One model call of a request that made several (a cascade): its stage, answer and cost."""

    model: str
    stage: str
    status: int | None
    usage: Usage | None
    cost_usd: float | None
    seconds: float | None


@dataclass
class RequestRecord:
    started_ns: int = field(default_factory=time.time_ns)
    ended_ns: int = 0
    phases: dict[str, list[int]] = field(default_factory=dict)
    """Phase name -> [first start ns, last end ns, messages] (a stream's body chunks merge)."""
    request_id: str = "-"
    endpoint: Endpoint | None = None
    """None: not an LLM endpoint (the request passes through)."""
    stream: bool = False
    requested_model: str | None = None
    decision: str = ""
    model: str = ""
    reason: str = ""
    policy_version: str = ""
    signals: dict[str, SignalResult] = field(default_factory=dict)
    shadowed: tuple[str, ...] = ()
    """Shadow-mode decisions that matched (counted, never applied)."""
    blocked_reason: str | None = None
    refused_code: str | None = None
    failed_safe: bool = False
    error: str | None = None
    """Exception class when the router failed and sent the request to the default model."""
    router_seconds: float | None = None
    """Body phase: parse, signals, decision, actions (what the router adds before upstream)."""
    routed_at: float | None = None
    status: int | None = None
    ttfb_seconds: float | None = None
    """From the routed request leaving the router to the upstream's response headers."""
    first_chunk_seconds: float | None = None
    """Streams: from the routed request to the first body chunk (time to first token)."""
    upstream_seconds: float | None = None
    usage: Usage | None = None
    cost_usd: float | None = None
    usage_expected: bool = False
    cancelled: bool = False
    prompt_hash: str | None = None
    trace_id: str | None = None
    calls: list[CallRecord] = field(default_factory=list)
    """Every model call when there were several (a cascade); ``usage``/``cost_usd`` are then their totals."""
    cascade: str | None = None
    """``kept`` or ``escalated`` for a request that cascaded."""
    cascade_reason: str | None = None
    fallback_from: str | None = None
    """The model the router chose when Envoy's fallback had another one answer (``model``)."""
    attempts: int | None = None
    """Envoy's attempts on a fallback chain (1: the chosen model answered)."""
    cache: str | None = None
    """``hit``, ``miss`` or ``bypass`` when the policy has a cache (a hit costs nothing)."""
    cache_reason: str | None = None
    """How it hit (``exact``, ``semantic``) or why it bypassed (``private``, ``store``, ...)."""
    cache_store_errors: int = 0
    """Store calls of this request that failed or timed out (each a bypass, never a failure)."""

    def phase(self, name: str, start_ns: int, end_ns: int) -> None:
        seen = self.phases.get(name)
        if seen is None:
            self.phases[name] = [start_ns, end_ns, 1]
        else:
            seen[1], seen[2] = end_ns, seen[2] + 1

    @property
    def outcome(self) -> Outcome:
        if self.endpoint is None:
            return "passthrough"
        if self.blocked_reason is not None:
            return "blocked"
        if self.refused_code is not None:
            return "refused"
        if self.failed_safe:
            return "fail_safe"
        if self.status is None:
            return "no_response"
        if self.cancelled:
            return "cancelled"
        return "ok" if 200 <= self.status < 300 else "upstream_error"
