"""The request view every layer above the endpoints reads: one shape for every API.

An endpoint spec parses its API's body into a ``ParsedRequest``: the requested model, whether
it streams, the conversation as ``Message``s (role, the text the model reads, media kinds),
tools, the output budget asked for. Signals, decisions and privacy read only this; what the
forwarded body looks like stays the spec's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import orjson

Role = Literal["system", "developer", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Message:
    """One conversation turn reduced to what signals need: role, text and media kinds."""

    role: str
    text: str
    media: frozenset[str] = frozenset()


@dataclass
class ParsedRequest:
    """A validated request body; ``body`` is the parsed JSON object (actions work on a copy)."""

    endpoint: str
    """The endpoint spec's name (``chat``, ``completions``, ``responses``, ``messages``)."""
    model: str
    stream: bool
    messages: list[Message]
    body: dict[str, Any]
    has_tools: bool = False
    media: frozenset[str] = field(default_factory=frozenset)
    max_output_tokens: int | None = None
    """Output tokens the client asked for at most (``max_tokens`` and its per-API spellings)."""
    opaque_prompt: bool = False
    """Part of the prompt cannot be read as text (token ids): no scan can clear it."""

    @cached_property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""

    @cached_property
    def user_text(self) -> str:
        """All user turns, oldest first: the conversation as the user wrote it."""
        return "\n".join(m.text for m in self.messages if m.role == "user" and m.text)

    @cached_property
    def conversation_text(self) -> str:
        return "\n".join(m.text for m in self.messages if m.text)


def serialize(body: dict[str, Any]) -> bytes:
    """A (rewritten) body as canonical JSON: duplicate keys and odd spacing are gone, so the
    upstream parses exactly what the router parsed."""
    try:
        return orjson.dumps(body)
    except TypeError:  # integers beyond 64 bits, kept exact by the stdlib parser
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
