"""The request model: an OpenAI-compatible body parsed once, validated, viewed as text.

The routed paths (``POST /v1/chat/completions``, ``POST /v1/completions`` and their aliases)
are listed in ``paths.py``; ``endpoint_for`` says which endpoint a path is. Parsing is strict
about shape (a clear 400 naming the field) and lenient about fields it does not use, which
travel to the upstream unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from . import json_limits
from .errors import RequestError, bad_request
from .paths import Endpoint, endpoint_for

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_LONG_DIGIT_RUN = re.compile(rb"\d{19,}")
"""orjson turns integers beyond 64 bits into floats; bodies with long digit runs take the
exact (slower) stdlib path so a re-serialized body never changes a number."""
_MEDIA_PART_TYPES = {"image_url": "image", "input_image": "image", "input_audio": "audio", "file": "file"}


@dataclass(frozen=True)
class Message:
    """One conversation turn reduced to what signals need: role, text and media kinds."""

    role: str
    text: str
    media: frozenset[str] = frozenset()


@dataclass
class ParsedRequest:
    """A validated request body; ``body`` is the parsed JSON object, mutated by actions."""

    endpoint: Endpoint
    model: str
    stream: bool
    messages: list[Message]
    body: dict[str, Any]
    body_size: int
    has_tools: bool = False
    media: frozenset[str] = field(default_factory=frozenset)

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

    @staticmethod
    def serialize(body: dict[str, Any]) -> bytes:
        """A (rewritten) body as canonical JSON: duplicate keys and odd spacing are gone, so
        the upstream parses exactly what the router parsed."""
        try:
            return orjson.dumps(body)
        except TypeError:  # integers beyond 64 bits, kept exact by the stdlib parser
            return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def decode_json(raw: bytes) -> Any:
    """Parse JSON bytes; 400 with a precise code for empty, non-UTF-8, invalid JSON and for
    values the router could not forward faithfully (``json_limits``), naming the field."""
    if not raw.strip():
        raise bad_request("Request body is empty; expected a JSON object.", code="missing_body")
    if not _LONG_DIGIT_RUN.search(raw):
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the stdlib says why (or accepts what needs a closer look)
        else:
            json_limits.check(document, strict_scalars=False)
            return document
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"Request body is not valid UTF-8 (byte {exc.start}).", code="invalid_encoding") from None
    try:
        document = json.loads(text, parse_int=json_limits.parse_int)
    except json.JSONDecodeError as exc:
        raise bad_request(f"Request body is not valid JSON: {exc}.", code="invalid_json") from None
    except RecursionError:
        raise bad_request(f"Request body is nested more than {json_limits.MAX_DEPTH} levels deep.",
                          code="nesting_too_deep") from None
    json_limits.check(document, strict_scalars=True)
    return document


def parse_request(endpoint: Endpoint, raw: bytes) -> ParsedRequest:
    """Decode and validate an OpenAI request body; raise ``RequestError`` on bad input."""
    return parse_body(endpoint, decode_json(raw), len(raw))


def parse_body(endpoint: Endpoint, body: Any, size: int) -> ParsedRequest:
    """Validate a decoded body for ``endpoint``; raise ``RequestError`` naming the bad field."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.", code="invalid_json")
    model = body.get("model")
    if model is None:
        raise bad_request("You must provide a model parameter.", code="missing_model", param="model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("'model' must be a non-empty string.", code="invalid_type", param="model")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("'stream' must be a boolean.", code="invalid_type", param="stream")
    _check_types(body, _FIELD_TYPES)
    if endpoint == "chat":
        messages = _parse_messages(body.get("messages"))
        has_tools = bool(body.get("tools")) or bool(body.get("functions"))
    else:
        messages = [Message("user", _parse_prompt(body.get("prompt")))]
        has_tools = False
    media = frozenset().union(*(m.media for m in messages))
    return ParsedRequest(endpoint, model.strip(), stream, messages, body, size, has_tools, media)


_FIELD_TYPES: dict[str, type] = {
    "tools": list,
    "functions": list,
    "stream_options": dict,
    "chat_template_kwargs": dict,
    "reasoning_effort": str,
}
"""Other fields the router reads or writes (usage option, reasoning switches): a wrong type
is the client's error, never silently replaced."""
_TYPE_NAMES = {list: "an array", dict: "an object", str: "a string"}


def _check_types(body: dict[str, Any], types: dict[str, type]) -> None:
    for name, expected in types.items():
        value = body.get(name)
        if value is not None and not isinstance(value, expected):
            raise bad_request(f"'{name}' must be {_TYPE_NAMES[expected]}.", code="invalid_type", param=name)
    options = body.get("stream_options")
    if options is not None and not isinstance(options.get("include_usage", False), bool):
        raise bad_request("'stream_options.include_usage' must be a boolean.", code="invalid_type",
                          param="stream_options.include_usage")


def _parse_messages(messages: Any) -> list[Message]:
    if messages is None:
        raise bad_request("'messages' is a required property.", code="missing_messages", param="messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array.", code="invalid_messages", param="messages")
    return [_parse_message(i, m) for i, m in enumerate(messages)]


def _parse_message(index: int, message: Any) -> Message:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise bad_request(f"'{where}' must be an object.", code="invalid_messages", param=where)
    role = message.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise bad_request(
            f"'{where}.role' must be one of {sorted(_ROLES)}, got {_shown(role)}.",
            code="invalid_messages",
            param=f"{where}.role",
        )
    content = message.get("content")
    if content is None:
        if role == "user":
            raise bad_request(f"'{where}.content' is required.", code="invalid_messages", param=f"{where}.content")
        return Message(role, "")
    if isinstance(content, str):
        return Message(role, content)
    if not isinstance(content, list):
        raise bad_request(
            f"'{where}.content' must be a string or an array of content parts.",
            code="invalid_messages",
            param=f"{where}.content",
        )
    texts: list[str] = []
    media: set[str] = set()
    for j, part in enumerate(content):
        part_where = f"{where}.content[{j}]"
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise bad_request(
                f"'{part_where}' must be an object with a string 'type'.",
                code="invalid_messages",
                param=part_where,
            )
        kind = part["type"]
        if kind in ("text", "input_text"):
            text = part.get("text")
            if not isinstance(text, str):
                raise bad_request(f"'{part_where}.text' must be a string.", code="invalid_messages", param=part_where)
            texts.append(text)
        elif kind in _MEDIA_PART_TYPES:
            media.add(_MEDIA_PART_TYPES[kind])
    return Message(role, "\n".join(texts), frozenset(media))


def _shown(value: Any) -> str:
    """A client value quoted in an error message: short strings as given, else their type."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else "a long string"
    return f"a {type(value).__name__}"


def _parse_prompt(prompt: Any) -> str:
    if prompt is None:
        raise bad_request("'prompt' is a required property.", code="missing_prompt", param="prompt")
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt)
    if isinstance(prompt, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in prompt):
        return ""  # pre-tokenized prompt: no text to classify
    raise bad_request(
        "'prompt' must be a string, an array of strings or an array of token ids.",
        code="invalid_type",
        param="prompt",
    )


__all__ = ["Endpoint", "Message", "ParsedRequest", "RequestError", "endpoint_for", "parse_body", "parse_request", "decode_json"]
