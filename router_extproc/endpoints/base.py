"""One spec per API path: everything the router needs to know about that API, in one place.

An ``EndpointSpec`` parses its body into the common ``ParsedRequest``, lists every string of
the body the upstream can read (for the PII scan and redaction), and knows how to set the
model id, add a system prompt, switch reasoning, ask a stream for usage, read usage back, and
write an error in the API's own shape. Nothing above this package branches on the endpoint.
Adding an API is one module with its spec, registered in ``registry.py``, plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from router_extproc.endpoints.body_text import Kind, TextPath, classify, walk
from router_extproc.endpoints.error_shapes import ErrorShape, OpenAIErrors
from router_extproc.endpoints.request import ParsedRequest
from router_extproc.endpoints.usage import OpenAIUsage, UsageReader
from router_extproc.errors import RequestError, bad_request
from router_extproc.policy.spec import Capability, ModelSpec, Reasoning, SystemPrompt


class EndpointSpec:
    name: ClassVar[str]
    path: ClassVar[str]
    """The canonical path (``/v1/...``); aliases come from ``paths.aliases``."""
    capability: ClassVar[Capability]
    """What a model must declare to serve this API (``chat`` or ``completions``)."""
    errors: ClassVar[ErrorShape] = OpenAIErrors()
    usage: ClassVar[UsageReader] = OpenAIUsage()
    not_text: ClassVar[frozenset[str]] = frozenset({"model"})
    """Top-level keys whose values the upstream does not read as text (the rest is walked)."""

    def parse(self, body: Any) -> ParsedRequest:
        """Validate a decoded body; raise ``RequestError`` naming the bad field."""
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object.", code="invalid_json")
        model = body.get("model")
        if model is None:
            raise bad_request("You must provide a model parameter.", code="missing_model", param="model")
        if not isinstance(model, str) or not model.strip():
            raise bad_request("'model' must be a non-empty string.", code="invalid_type", param="model")
        stream = body.get("stream")
        if stream is not None and not isinstance(stream, bool):
            raise bad_request("'stream' must be a boolean.", code="invalid_type", param="stream")
        return self.parse_fields(body, model.strip(), stream is True)

    def parse_fields(self, body: dict[str, Any], model: str, stream: bool) -> ParsedRequest:
        """The API-specific part of ``parse``."""
        raise NotImplementedError

    def texts(self, body: dict[str, Any]) -> Iterator[tuple[TextPath, str, Kind]]:
        """Every string of the body the upstream can read, with its path and kind
        (``body_text``): unknown fields too (a field the router does not know still reaches the
        model); only the top-level ``not_text`` keys are left out."""
        for key, value in body.items():
            if key not in self.not_text:
                yield from walk(value, (key,))

    def strings(self, body: dict[str, Any]) -> Iterator[tuple[TextPath, str]]:
        """The ``text`` strings: what the PII scan reads and redaction rewrites."""
        return ((path, text) for path, text, kind in self.texts(body) if kind == "text")

    def rewrite_strings(self, body: dict[str, Any], change: Callable[[TextPath, str], str | None]) -> dict[str, Any]:
        """A copy of ``body`` where every ``text`` string (values and keys) is passed through
        ``change`` (None: keep it); media and opaque payloads are left as they are."""

        def rebuild(item: Any, where: TextPath, parent: dict[str, Any] | None) -> Any:
            if isinstance(item, str):
                if classify(where[-1] if where else None, item, parent) != "text":
                    return item
                new = change(where, item)
                return item if new is None else new
            if isinstance(item, dict):
                out = {}
                for key, child in item.items():
                    new_key = change((*where, key, ""), key) if isinstance(key, str) else None
                    out[key if new_key is None else new_key] = rebuild(child, (*where, key), item)
                return out
            if isinstance(item, list):
                return [rebuild(child, (*where, i), None) for i, child in enumerate(item)]
            return item

        return {k: (v if k in self.not_text else rebuild(v, (k,), None)) for k, v in body.items()}

    def set_model(self, body: dict[str, Any], provider_model_id: str) -> None:
        body["model"] = provider_model_id

    def add_system_prompt(self, body: dict[str, Any], prompt: SystemPrompt) -> None:
        """Prepend (or replace) the system prompt; APIs without one leave the body as it is."""

    def set_reasoning(self, body: dict[str, Any], model: ModelSpec, reasoning: Reasoning) -> None:
        """Switch reasoning the way ``model.reasoning_family`` is switched on this API."""

    def ask_for_usage(self, body: dict[str, Any]) -> bool:
        """Make a streaming request report usage; True when the router added something the
        client did not ask for (to be removed from the answer)."""
        return False

    def render_error(self, error: RequestError, stream: bool) -> tuple[bytes, str]:
        return self.errors.render(error, stream)


def int_field(body: dict[str, Any], *names: str) -> int | None:
    """The first of ``names`` present, validated as a non-negative integer (400 otherwise)."""
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad_request(f"'{name}' must be a non-negative integer.", code="invalid_type", param=name)
        return value
    return None


def typed_field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise bad_request(f"'{name}' must be {what}.", code="invalid_type", param=name)
    return value
