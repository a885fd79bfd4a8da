"""The response phases' job: choose how much of the answer to read, and read its usage.

The observer asks for an answer's body only where it carries usage (SSE streamed chunk by
chunk; JSON buffered whole, or streamed and joined when its length is unknown), reads usage
in the endpoint's own shape, undoes what the router's usage option added to a stream, and
times the answer. It writes what it learns into the request's ``RequestRecord``; it never
changes what the client gets otherwise.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import replace

from router_extproc import headers as H
from router_extproc.endpoints import EndpointSpec
from router_extproc.endpoints.usage import MAX_USAGE_BODY_BYTES, SseUsageScanner, cost_usd, usage_from_json
from router_extproc.policy.spec import ModelSpec
from router_extproc.routing.router import RouteOutcome
from router_extproc.telemetry import RequestRecord


class BodyMode(enum.Enum):
    NONE = "none"
    BUFFERED = "buffered"
    STREAMED = "streamed"


class ResponseObserver:
    def __init__(self, spec: EndpointSpec, outcome: RouteOutcome, strip_usage_event: bool, record: RequestRecord) -> None:
        self._spec = spec
        self._outcome = outcome
        self._strip = strip_usage_event
        self._record = record
        self._sse: SseUsageScanner | None = None
        self._json_parts: list[bytes] | None = None
        self._json_bytes = 0
        self.finished = False

    def served_by(self, model: ModelSpec) -> None:
        """Another model answered (an Envoy fallback): its prices count."""
        self._outcome = replace(self._outcome, model=model)

    def on_headers(self, values: Mapping[str, str], end_of_stream: bool) -> BodyMode:
        """The answer's status and type are known: how its body should reach the router."""
        record = self._record
        now = time.perf_counter()
        if record.routed_at is not None:
            record.ttfb_seconds = now - record.routed_at
        status = values.get(H.STATUS, "")
        record.status = int(status) if status.isdigit() else None
        mode = self._mode(values, end_of_stream)
        if end_of_stream or mode is BodyMode.NONE:
            self._finish(now)
        return mode

    def _mode(self, values: Mapping[str, str], end_of_stream: bool) -> BodyMode:
        record = self._record
        content_type = values.get(H.CONTENT_TYPE, "").split(";", 1)[0].strip().lower()
        ok = record.status is not None and 200 <= record.status < 300
        if end_of_stream or not ok:
            return BodyMode.NONE
        if content_type == "text/event-stream":
            record.usage_expected = True
            self._sse = SseUsageScanner(self._spec.usage, strip_usage_event=self._strip)
            return BodyMode.STREAMED
        if content_type == "application/json":
            length = values.get(H.CONTENT_LENGTH, "")
            if length.isdigit() and int(length) > MAX_USAGE_BODY_BYTES:
                return BodyMode.NONE
            record.usage_expected = True
            self._json_parts = []
            return BodyMode.BUFFERED if length.isdigit() else BodyMode.STREAMED
        return BodyMode.NONE

    def on_body(self, chunk: bytes, end_of_stream: bool) -> bytes | None:
        """One piece of the answer; returns its replacement when the router must undo something."""
        record = self._record
        now = time.perf_counter()
        replacement: bytes | None = None
        if self._sse is not None:
            if record.first_chunk_seconds is None and record.routed_at is not None and chunk:
                record.first_chunk_seconds = now - record.routed_at
            replacement = self._sse.feed(chunk)
        elif self._json_parts is not None:
            self._json_bytes += len(chunk)
            if self._json_bytes <= MAX_USAGE_BODY_BYTES:
                self._json_parts.append(chunk)
            else:
                self._json_parts = None
        if end_of_stream:
            self._finish(now)
        return replacement

    def _finish(self, now: float) -> None:
        self.finished = True
        record = self._record
        if record.routed_at is not None:
            record.upstream_seconds = now - record.routed_at
        if self._sse is not None:
            record.usage = self._sse.usage
        elif self._json_parts:
            record.usage = usage_from_json(self._spec.usage, b"".join(self._json_parts))
        self._json_parts = None
        if record.usage is not None:
            record.cost_usd = cost_usd(self._outcome.model, record.usage)
