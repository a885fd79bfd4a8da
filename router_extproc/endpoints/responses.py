"""``POST /v1/responses``: the OpenAI Responses API.

``input`` is a string or a list of items: messages (``role`` + a string or ``input_text`` /
``output_text`` / ``input_image`` / ``input_file`` / ``input_audio`` parts), function calls and
their outputs, reasoning items. ``instructions`` is the system prompt. ``previous_response_id``
passes through untouched: the earlier turns then live upstream, and the router judges the
turns it is sent.
"""

from __future__ import annotations

from typing import Any

from router_extproc.endpoints.base import EndpointSpec, int_field, json_object, role_of, typed_field
from router_extproc.endpoints.error_shapes import ResponsesErrors
from router_extproc.endpoints.request import Message, ParsedRequest
from router_extproc.endpoints.usage import ResponsesUsage
from router_extproc.errors import bad_request
from router_extproc.policy.spec import ModelSpec, Reasoning, SystemPrompt

ROLES = frozenset({"system", "developer", "user", "assistant"})
TEXT_PARTS = frozenset({"input_text", "output_text", "text", "refusal", "summary_text", "reasoning_text"})
MEDIA_PARTS = {"input_image": "image", "input_file": "file", "input_audio": "audio"}


def parse_item(index: int, item: Any) -> Message | None:
    where = f"input[{index}]"
    item = json_object(item, where, "invalid_input")
    kind = item.get("type", "message")
    if kind == "message":
        role = role_of(item, where, ROLES, "invalid_input")
        content = item.get("content")
        if isinstance(content, str):
            return Message(role, content)
        if not isinstance(content, list):
            raise bad_request(f"'{where}.content' must be a string or an array of content parts.",
                              code="invalid_input", param=f"{where}.content")
        texts, media = [], set()
        for j, part in enumerate(content):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise bad_request(f"'{where}.content[{j}]' must be an object with a string 'type'.",
                                  code="invalid_input", param=f"{where}.content[{j}]")
            if part["type"] in TEXT_PARTS:
                text = part.get("text", part.get("refusal"))
                if not isinstance(text, str):
                    raise bad_request(f"'{where}.content[{j}].text' must be a string.", code="invalid_input",
                                      param=f"{where}.content[{j}].text")
                texts.append(text)
            elif part["type"] in MEDIA_PARTS:
                media.add(MEDIA_PARTS[part["type"]])
        return Message(role, "\n".join(texts), frozenset(media))
    if kind in ("function_call", "custom_tool_call"):
        return Message("assistant", "\n".join(str(item.get(k)) for k in ("name", "arguments", "input") if item.get(k)))
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        return Message("tool", output if isinstance(output, str) else "")
    return None  # reasoning items, references: still walked by ``strings`` for privacy


class Responses(EndpointSpec):
    name = "responses"
    path = "/v1/responses"
    capability = "chat"
    errors = ResponsesErrors()
    usage = ResponsesUsage()

    def parse_fields(self, body: dict[str, Any], model: str, stream: bool) -> ParsedRequest:
        raw = body.get("input")
        if raw is None and body.get("previous_response_id") is None:
            raise bad_request("'input' is a required property.", code="missing_input", param="input")
        messages: list[Message] = []
        instructions = typed_field(body, "instructions", str, "a string")
        if instructions:
            messages.append(Message("system", instructions))
        if isinstance(raw, str):
            messages.append(Message("user", raw))
        elif isinstance(raw, list):
            messages += [m for i, item in enumerate(raw) if (m := parse_item(i, item)) is not None]
        elif raw is not None:
            raise bad_request("'input' must be a string or an array of input items.", code="invalid_type",
                              param="input")
        typed_field(body, "previous_response_id", str, "a string")
        typed_field(body, "reasoning", dict, "an object")
        tools = typed_field(body, "tools", list, "an array")
        if not any(m.role == "user" or m.role == "tool" for m in messages) and body.get("previous_response_id") is None:
            raise bad_request("'input' holds no user message.", code="invalid_input", param="input")
        return ParsedRequest(self.name, model, stream, messages, body, bool(tools),
                             frozenset().union(*(m.media for m in messages)), int_field(body, "max_output_tokens"))

    def add_system_prompt(self, body: dict[str, Any], prompt: SystemPrompt) -> None:
        current = body.get("instructions")
        if prompt.mode == "replace" or not current:
            body["instructions"] = prompt.text
        else:
            body["instructions"] = f"{prompt.text}\n\n{current}"

    def set_reasoning(self, body: dict[str, Any], model: ModelSpec, reasoning: Reasoning) -> None:
        if model.reasoning_family != "openai":
            return
        current = dict(body.get("reasoning") or {})
        if "effort" not in current or reasoning.override_client:
            current["effort"] = reasoning.effort if reasoning.enabled else "minimal"
        body["reasoning"] = current
