"""Every string of a request body, sorted by what a scanner can do with it.

Privacy closure must see everything the upstream receives, in every field of every API:
message text and parts, tool calls and their arguments, tool definitions, names, ``user``,
``metadata``, ``response_format``, fields the router has never heard of. So the walk is over
the whole JSON value (keys included: a model reads a schema's property names), not over the
fields the router knows. Each string is one of:
- ``text``: scanned for PII (and redacted in place);
- ``media``: an image or audio payload (a ``data:image/...`` URL, Anthropic's base64 image
  ``source``, ``input_audio`` data): pixels and samples, which a text scanner cannot read and a
  vision model is there to read; the scan skips them (text *inside* an image is a known limit);
- ``opaque``: a payload that may hold text the router cannot read (a base64 PDF or other file,
  an ``application/octet-stream`` data URL): it counts as possibly private, since "not scanned"
  never means "clean".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

TextPath = tuple[str | int, ...]
Kind = Literal["text", "media", "opaque"]

MEDIA_PREFIXES = ("image/", "audio/")
TEXT_PREFIXES = ("text/", "application/json")
PAYLOAD_KEYS = frozenset({"url", "image_url", "data", "file_data"})
"""Keys under which APIs carry inline payloads (data URLs or raw base64)."""


def _mime(value: str) -> str | None:
    """The media type of a ``data:`` URL (None: not one)."""
    if not value.startswith("data:"):
        return None
    head = value[5:].split(",", 1)[0]
    return head.split(";", 1)[0].strip().lower() or "text/plain"


def _kind_of_mime(mime: str) -> Kind:
    if mime.startswith(MEDIA_PREFIXES):
        return "media"
    if mime.startswith(TEXT_PREFIXES):
        return "text"
    return "opaque"


def classify(key: str | int | None, value: str, parent: dict[str, Any] | None) -> Kind:
    """What a string under ``key`` (inside ``parent``) is."""
    mime = _mime(value)
    if mime is not None:
        return _kind_of_mime(mime)
    if key not in PAYLOAD_KEYS or parent is None:
        return "text"
    declared = parent.get("media_type") or parent.get("mime_type")
    if isinstance(declared, str):  # Anthropic ``source: {type: base64, media_type, data}``
        return _kind_of_mime(declared.lower())
    if key == "data" and isinstance(parent.get("format"), str):  # OpenAI ``input_audio: {data, format}``
        return "media"
    if key == "file_data":
        return "opaque"
    return "text"


def walk(value: Any, path: TextPath) -> Iterator[tuple[TextPath, str, Kind]]:
    """Every string inside a JSON value, depth first, with its path and kind. A dict key is
    yielded as a text at ``(*path, key, "")`` ("" marks a key, not a value)."""
    stack: list[tuple[TextPath, Any, dict[str, Any] | None]] = [(path, value, None)]
    while stack:
        where, item, parent = stack.pop()
        if isinstance(item, str):
            yield where, item, classify(where[-1] if where else None, item, parent)
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                stack.append(((*where, key), child, item))
                yield (*where, key, ""), str(key), "text"
        elif isinstance(item, list):
            stack.extend(((*where, i), child, None) for i, child in reversed(list(enumerate(item))))


def path_text(path: TextPath) -> str:
    """A path as a JSON-pointer-like string for logs and details (``messages/0/content``)."""
    if path and path[-1] == "":
        return "/".join(str(p) for p in path[:-1]) + "#key"
    return "/".join(str(p) for p in path)
