"""Is an upstream answer whole? Only whole answers are stored.

Per API, in JSON and in its event stream: Chat Completions and Completions finish every
choice with ``stop`` (or a tool call) and a stream ends with ``[DONE]``; Responses ends with
status ``completed`` (a stream with ``response.completed``); Anthropic Messages stops with
``end_turn``, ``stop_sequence`` or ``tool_use`` (a stream with ``message_stop``). A truncated
answer (``length``, ``max_tokens``, ``incomplete``), an error event or a stream cut short is
not whole. The stream is read in one linear pass over its events.
"""

from __future__ import annotations

from typing import Any

import orjson

OPENAI_FINISHED = frozenset({"stop", "tool_calls", "function_call"})
ANTHROPIC_FINISHED = frozenset({"end_turn", "stop_sequence", "tool_use"})
SSE = "text/event-stream"
JSON = "application/json"


def _load(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _choices_finished(document: Any) -> bool:
    choices = document.get("choices") if isinstance(document, dict) else None
    return isinstance(choices, list) and bool(choices) and all(isinstance(c, dict) and c.get("finish_reason") in OPENAI_FINISHED for c in choices)


def json_complete(endpoint: str, body: bytes) -> bool:
    document = _load(body)
    if not isinstance(document, dict) or "error" in document and document["error"]:
        return False
    if endpoint in ("chat", "completions"):
        return _choices_finished(document)
    if endpoint == "responses":
        return document.get("status") == "completed"
    if endpoint == "messages":
        return document.get("type") == "message" and document.get("stop_reason") in ANTHROPIC_FINISHED
    return False


def events(body: bytes) -> list[tuple[str | None, str]]:
    """The stream's events as (event name, joined data lines)."""
    out: list[tuple[str | None, str]] = []
    text = body.decode("utf-8", "replace").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if name is not None or data:
            out.append((name, "\n".join(data)))
    return out


def sse_complete(endpoint: str, body: bytes) -> bool:
    if not body.endswith(b"\n\n"):
        return False  # the last event never finished
    stream = events(body)
    if not stream or any(name == "error" for name, _ in stream):
        return False
    if endpoint in ("chat", "completions"):
        if stream[-1][1].strip() != "[DONE]":
            return False
        reasons = set()
        for _, data in stream[:-1]:
            document = _load(data)
            if not isinstance(document, dict) or "error" in document:
                return False
            for choice in document.get("choices") or ():
                if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                    reasons.add(choice["finish_reason"])
        return bool(reasons) and reasons <= OPENAI_FINISHED
    if endpoint == "responses":
        name, data = stream[-1]
        document = _load(data)
        return (name == "response.completed" and isinstance(document, dict)
                and isinstance(document.get("response"), dict) and document["response"].get("status") == "completed")
    if endpoint == "messages":
        if stream[-1][0] != "message_stop":
            return False
        stops = [(_load(data) or {}).get("delta", {}).get("stop_reason") for name, data in stream
                 if name == "message_delta"]
        return bool(stops) and stops[-1] in ANTHROPIC_FINISHED
    return False


def complete(endpoint: str, content_type: str, body: bytes) -> bool:
    """Whether ``body`` (as the client got it) is a whole answer worth serving again."""
    if content_type == SSE:
        return sse_complete(endpoint, body)
    if content_type == JSON:
        return json_complete(endpoint, body)
    return False
