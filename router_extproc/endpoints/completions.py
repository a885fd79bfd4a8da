"""``POST /v1/completions``: OpenAI (legacy) Completions, a prompt and an optional suffix."""

from __future__ import annotations

from typing import Any

from router_extproc.endpoints.base import EndpointSpec, int_field, typed_field
from router_extproc.endpoints.chat import ask_for_stream_usage
from router_extproc.endpoints.request import Message, ParsedRequest
from router_extproc.errors import bad_request


def _is_token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value)


def parse_prompt(prompt: Any) -> tuple[str, bool]:
    """The prompt's text, and whether part of it is token ids (which no scan can read)."""
    if prompt is None:
        raise bad_request("'prompt' is a required property.", code="missing_prompt", param="prompt")
    if isinstance(prompt, str):
        return prompt, False
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt), False
    if _is_token_ids(prompt) or (isinstance(prompt, list) and prompt and all(_is_token_ids(p) for p in prompt)):
        return "", True
    raise bad_request("'prompt' must be a string, an array of strings or an array of token ids.",
                      code="invalid_type", param="prompt")


class Completions(EndpointSpec):
    name = "completions"
    path = "/v1/completions"
    capability = "completions"

    def parse_fields(self, body: dict[str, Any], model: str, stream: bool) -> ParsedRequest:
        text, opaque = parse_prompt(body.get("prompt"))
        suffix = typed_field(body, "suffix", str, "a string")
        options = typed_field(body, "stream_options", dict, "an object")
        if options is not None and not isinstance(options.get("include_usage", False), bool):
            raise bad_request("'stream_options.include_usage' must be a boolean.", code="invalid_type",
                              param="stream_options.include_usage")
        if suffix:
            text = f"{text}\n{suffix}" if text else suffix
        return ParsedRequest(self.name, model, stream, [Message("user", text)], body,
                             max_output_tokens=int_field(body, "max_tokens"), opaque_prompt=opaque)

    def ask_for_usage(self, body: dict[str, Any]) -> bool:
        return ask_for_stream_usage(body)
