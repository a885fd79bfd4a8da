"""How each API writes an error, as JSON and inside a stream.

A refusal must look like the API the client speaks, or its SDK raises a parse error instead of
the refusal: OpenAI ``{"error": {message, type, param, code}}`` (an SSE client gets it as one
``data:`` event and ``[DONE]``); the Responses API streams an ``error`` event; Anthropic
``{"type": "error", "error": {type, message}}`` (streamed as ``event: error``). The HTTP status
always says what went wrong.
"""

from __future__ import annotations

from typing import Protocol

import orjson

from router_extproc.errors import RequestError

ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                   404: "not_found_error", 405: "invalid_request_error", 413: "request_too_large",
                   415: "invalid_request_error", 429: "rate_limit_error", 500: "api_error", 503: "overloaded_error",
                   529: "overloaded_error"}


class ErrorShape(Protocol):
    def render(self, error: RequestError, stream: bool) -> tuple[bytes, str]:
        """Body bytes and content type of ``error`` for a JSON or an SSE client."""
        ...


class OpenAIErrors:
    """Chat Completions and Completions."""

    def render(self, error: RequestError, stream: bool) -> tuple[bytes, str]:
        data = orjson.dumps(error.payload())
        if stream:
            return b"data: " + data + b"\n\ndata: [DONE]\n\n", "text/event-stream"
        return data, "application/json"


class ResponsesErrors:
    """The Responses API: the same JSON object; a stream gets an ``error`` event."""

    def render(self, error: RequestError, stream: bool) -> tuple[bytes, str]:
        if not stream:
            return orjson.dumps(error.payload()), "application/json"
        event = {"type": "error", "code": error.code or error.type, "message": error.message, "param": error.param,
                 "sequence_number": 0}
        return b"event: error\ndata: " + orjson.dumps(event) + b"\n\n", "text/event-stream"


class AnthropicErrors:
    """Anthropic Messages: ``{"type": "error", "error": {"type", "message"}}``."""

    def render(self, error: RequestError, stream: bool) -> tuple[bytes, str]:
        kind = ANTHROPIC_TYPES.get(error.status, "api_error" if error.status >= 500 else "invalid_request_error")
        data = orjson.dumps({"type": "error", "error": {"type": kind, "message": error.message}})
        if stream:
            return b"event: error\ndata: " + data + b"\n\n", "text/event-stream"
        return data, "application/json"
