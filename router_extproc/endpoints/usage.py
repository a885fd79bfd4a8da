"""Token usage from upstream answers, JSON or Server-Sent Events, in each API's own shape, and its cost.

Where usage lives:
- Chat Completions / Completions: ``usage.prompt_tokens``/``completion_tokens``; a stream
  carries it in a last usage-only event only when the request asked
  (``stream_options.include_usage``). The router asks on the client's behalf and then drops
  that event and the ``"usage": null`` keys the option adds, so the client gets the stream it
  would have got without the router.
- Responses: ``usage.input_tokens``/``output_tokens``; streams always end with a
  ``response.completed`` event holding the whole response, usage included.
- Anthropic Messages: ``usage.input_tokens`` (+ cache reads and writes) / ``output_tokens``;
  a stream reports input in ``message_start`` and the running output count in ``message_delta``.
The scanner is incremental: events may be split anywhere across the chunks Envoy hands over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from router_extproc.policy.spec import ModelSpec

_EVENT_END = (b"\n\n", b"\r\n\r\n")
_NULL_USAGE = (b',"usage":null', b', "usage": null')
"""How OpenAI-compatible servers write the ``usage: null`` the router's option adds. Quotes
inside JSON strings are escaped, so these bytes only ever match a key of the event object."""
MAX_USAGE_BODY_BYTES = 8 * 1024 * 1024
"""JSON responses larger than this are not read for usage (their body is not buffered)."""
MAX_PENDING_BYTES = 1024 * 1024
"""An event this long without its blank line is not a usable stream: stop looking."""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


def cost_usd(model: ModelSpec, usage: Usage) -> float:
    """What the request cost at the policy's published prices."""
    return (usage.prompt_tokens * model.cost.input_per_1m + usage.completion_tokens * model.cost.output_per_1m) / 1e6


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class UsageReader(Protocol):
    """Where one API keeps usage in a JSON answer and in its stream's events."""

    def from_json(self, document: dict[str, Any]) -> Usage | None: ...

    def from_event(self, document: dict[str, Any], seen: Usage | None) -> tuple[Usage | None, bool]:
        """Usage known after this event (``seen`` before it), and whether the event is a
        usage-only event the router's own option added (to be dropped)."""
        ...


class OpenAIUsage:
    def from_json(self, document: dict[str, Any]) -> Usage | None:
        usage = document.get("usage")
        if not isinstance(usage, dict):
            return None
        prompt, completion = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens", 0))
        return Usage(prompt, completion) if prompt is not None and completion is not None else None

    def from_event(self, document: dict[str, Any], seen: Usage | None) -> tuple[Usage | None, bool]:
        usage = self.from_json(document)
        return (usage, document.get("choices") == []) if usage is not None else (seen, False)


class ResponsesUsage:
    def from_json(self, document: dict[str, Any]) -> Usage | None:
        usage = document.get("usage")
        if not isinstance(usage, dict):
            return None
        prompt, completion = _count(usage.get("input_tokens")), _count(usage.get("output_tokens", 0))
        return Usage(prompt, completion) if prompt is not None and completion is not None else None

    def from_event(self, document: dict[str, Any], seen: Usage | None) -> tuple[Usage | None, bool]:
        response = document.get("response")
        if document.get("type") in ("response.completed", "response.incomplete", "response.failed") \
                and isinstance(response, dict):
            return self.from_json(response) or seen, False
        return seen, False


class AnthropicUsage:
    def from_json(self, document: dict[str, Any]) -> Usage | None:
        usage = document.get("usage")
        if not isinstance(usage, dict):
            return None
        counts = [_count(usage.get(k, 0)) for k in ("input_tokens", "cache_creation_input_tokens",
                                                     "cache_read_input_tokens")]
        output = _count(usage.get("output_tokens", 0))
        if _count(usage.get("input_tokens")) is None or output is None or None in counts:
            return None
        return Usage(sum(c for c in counts if c is not None), output)

    def from_event(self, document: dict[str, Any], seen: Usage | None) -> tuple[Usage | None, bool]:
        kind = document.get("type")
        if kind == "message_start" and isinstance(document.get("message"), dict):
            return self.from_json(document["message"]) or seen, False
        if kind == "message_delta" and isinstance(document.get("usage"), dict):
            output = _count(document["usage"].get("output_tokens"))
            if output is not None:
                return Usage(seen.prompt_tokens if seen else 0, output), False
        return seen, False


def usage_from_json(reader: UsageReader, body: bytes) -> Usage | None:
    """Usage of a whole JSON answer; None when absent or not JSON."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return reader.from_json(document) if isinstance(document, dict) else None


class SseUsageScanner:
    """Feed response chunks in order; ``usage`` holds the usage seen so far.

    ``feed`` returns the bytes to send on in place of the chunk when it had to undo what the
    router's usage option added (the usage-only event, ``"usage": null`` keys), else None (the
    chunk goes on unchanged).
    """

    def __init__(self, reader: UsageReader, strip_usage_event: bool) -> None:
        self._reader = reader
        self.strip_usage_event = strip_usage_event
        self.usage: Usage | None = None
        self._pending = b""
        self._gave_up = False

    def feed(self, chunk: bytes) -> bytes | None:
        if self._gave_up or not chunk:
            return None
        data = self._pending + chunk
        offset_of_chunk = len(self._pending)
        start = 0
        drop: list[tuple[int, int]] = []
        while True:
            end, sep = _next_event_end(data, start)
            if end < 0:
                break
            if self._read_event(data[start:end]) and self.strip_usage_event and start >= offset_of_chunk:
                drop.append((start - offset_of_chunk, end + sep - offset_of_chunk))
            start = end + sep
        self._pending = data[start:]
        if len(self._pending) > MAX_PENDING_BYTES:
            self._gave_up, self._pending = True, b""
        if not self.strip_usage_event:
            return None
        out, cursor = bytearray(), 0
        for begin, finish in drop:
            out += chunk[cursor:begin]
            cursor = finish
        out += chunk[cursor:]
        for marker in _NULL_USAGE:  # the option also adds "usage": null to every other event
            out = out.replace(marker, b"")
        return None if out == chunk else bytes(out)

    def _read_event(self, event: bytes) -> bool:
        """Record usage from one event; True when it is a usage-only event to drop."""
        if b'"usage"' not in event:
            return False
        payload = b"".join(line[5:].lstrip() for line in event.splitlines() if line.startswith(b"data:"))
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(document, dict):
            return False
        self.usage, usage_only = self._reader.from_event(document, self.usage)
        return usage_only


def _next_event_end(data: bytes, start: int) -> tuple[int, int]:
    """Index where the next event ends and the length of its blank-line separator."""
    best, sep = -1, 0
    for marker in _EVENT_END:
        index = data.find(marker, start)
        if index >= 0 and (best < 0 or index < best):
            best, sep = index, len(marker)
    return best, sep
