"""OpenAI-shaped errors: what a client of the OpenAI API expects when a request is refused.

A ``RequestError`` raised anywhere in request handling becomes an Envoy ImmediateResponse,
written in the client's API shape by its endpoint spec (``endpoints/error_shapes.py``: JSON,
or an SSE event when the client streams); the HTTP status says what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROUTER_DETAILS_PREFIX = "router_"
"""Envoy response-code details of the router's refusals; Envoy's error mapper skips them."""


@dataclass(frozen=True)
class RequestError(Exception):
    """A refusal with an HTTP status and OpenAI's ``type``/``code`` vocabulary."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.status} {self.code or self.type}: {self.message}"

    def payload(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


@dataclass(frozen=True)
class Blocked(RequestError):
    """A refusal by a policy decision (not bad input): ``decision`` names it; ``signals``
    are the results it was taken on (for metrics and the decision log)."""

    decision: str = ""
    signals: dict[str, Any] = field(default_factory=dict, compare=False)
    shadowed: tuple[str, ...] = ()
    """Shadow-mode decisions that matched first (counted, never applied)."""


def bad_request(message: str, *, code: str = "invalid_request", param: str | None = None) -> RequestError:
    return RequestError(400, message, "invalid_request_error", code, param)


def model_not_found(model: str) -> RequestError:
    return RequestError(
        404,
        f"The model '{model}' does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
        "model",
    )


def too_large(size: int, limit: int) -> RequestError:
    return RequestError(
        413,
        f"Request body of {size} bytes exceeds the limit of {limit} bytes.",
        "invalid_request_error",
        "request_too_large",
    )


def unsupported_encoding(encoding: str) -> RequestError:
    """A compressed request body: the router would have to parse and re-send it, so it is refused
    rather than forwarded with a ``content-encoding`` that no longer matches."""
    shown = encoding[:32]
    return RequestError(415, f"Content-Encoding '{shown}' is not supported; send the JSON body uncompressed.",
                        "invalid_request_error", "unsupported_content_encoding")
