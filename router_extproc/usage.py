"""Token usage from upstream responses, JSON or Server-Sent Events, and its cost.

A JSON completion carries ``usage`` at the top level. A stream carries it in its last data
event only when the request asked for it (``stream_options.include_usage``); the router asks
for it on the client's behalf and then drops that extra usage-only event, so the client
gets the stream it would have got without the router. The scanner is incremental: events
may be split across the chunks Envoy hands over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .policy.models import ModelSpec

_EVENT_END = (b"\n\n", b"\r\n\r\n")
_NULL_USAGE = (b',"usage":null', b', "usage": null')
"""How OpenAI-compatible servers write the ``usage: null`` the router's option adds. Quotes
inside JSON strings are escaped, so these bytes only ever match a key of the event object."""
MAX_USAGE_BODY_BYTES = 8 * 1024 * 1024
"""JSON responses larger than this are not read for usage (their body is not buffered)."""
MAX_PENDING_BYTES = 1024 * 1024
"""An event this long without its blank line is not an OpenAI stream: stop looking."""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def cost_usd(model: ModelSpec, usage: Usage) -> float:
    """What the request cost at the policy's published prices."""
    return (usage.prompt_tokens * model.cost.input_per_1m + usage.completion_tokens * model.cost.output_per_1m) / 1e6


def parse_usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens", 0)
    if not isinstance(prompt, int) or not isinstance(completion, int) or prompt < 0 or completion < 0:
        return None
    return Usage(prompt, completion)


def usage_from_json(body: bytes) -> Usage | None:
    """``usage`` of a whole JSON response body; None when absent or not JSON."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return parse_usage(document.get("usage")) if isinstance(document, dict) else None


def ask_for_usage(body: dict[str, Any]) -> bool:
    """Make a streaming request report usage; True when the router added the option (the
    client did not ask), so the usage-only event must be removed on the way back."""
    if body.get("stream") is not True:
        return False
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        return False
    body["stream_options"] = (options if isinstance(options, dict) else {}) | {"include_usage": True}
    return True


class SseUsageScanner:
    """Feed response chunks in order; ``usage`` holds the last usage seen.

    ``feed`` returns the bytes to send on in place of the chunk when it had to undo what
    the router's ``include_usage`` added (the usage-only event, ``"usage": null`` keys),
    else None (the chunk goes on unchanged).
    """

    def __init__(self, strip_usage_event: bool) -> None:
        self.strip_usage_event = strip_usage_event
        self.usage: Usage | None = None
        self.events = 0
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
            event = data[start:end]
            self.events += 1
            if self._read_event(event) and self.strip_usage_event and start >= offset_of_chunk:
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
        """Record usage from one event; True when it is a usage-only event (no choices)."""
        if b'"usage"' not in event:
            return False
        payload = b"".join(
            line[5:].lstrip() for line in event.splitlines() if line.startswith(b"data:")
        )
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(document, dict):
            return False
        usage = parse_usage(document.get("usage"))
        if usage is None:
            return False
        self.usage = usage
        return document.get("choices") == []


def _next_event_end(data: bytes, start: int) -> tuple[int, int]:
    """Index where the next event ends and the length of its blank-line separator."""
    best, sep = -1, 0
    for marker in _EVENT_END:
        index = data.find(marker, start)
        if index >= 0 and (best < 0 or index < best):
            best, sep = index, len(marker)
    return best, sep
