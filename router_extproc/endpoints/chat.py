"""``POST /v1/chat/completions``: OpenAI Chat Completions (and every server that speaks it)."""

from __future__ import annotations

from typing import Any

from router_extproc.endpoints.base import EndpointSpec, int_field, json_object, role_of, typed_field
from router_extproc.endpoints.request import Message, ParsedRequest
from router_extproc.errors import bad_request
from router_extproc.policy.spec import ModelSpec, Reasoning, SystemPrompt

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MEDIA_PART_TYPES = {"image_url": "image", "input_image": "image", "input_audio": "audio", "file": "file"}
TEXT_PART_TYPES = frozenset({"text", "input_text", "refusal"})


def tool_call_text(calls: Any, where: str) -> list[str]:
    """The function names and arguments of an assistant's tool calls (the model reads them back)."""
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise bad_request(f"'{where}' must be an array.", code="invalid_messages", param=where)
    texts = []
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue  # malformed calls are the upstream's to refuse; nothing to read here
        for key in ("name", "arguments"):
            value = function.get(key)
            if value is not None and not isinstance(value, str):
                raise bad_request(f"'{where}[{i}].function.{key}' must be a string.", code="invalid_messages",
                                  param=f"{where}[{i}].function.{key}")
            if value:
                texts.append(value)
    return texts


def parse_chat_message(index: int, message: Any) -> Message:
    where = f"messages[{index}]"
    message = json_object(message, where, "invalid_messages")
    role = role_of(message, where, ROLES, "invalid_messages")
    texts: list[str] = []
    media: set[str] = set()
    content = message.get("content")
    if content is None:
        if role == "user":
            raise bad_request(f"'{where}.content' is required.", code="invalid_messages", param=f"{where}.content")
    elif isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for j, part in enumerate(content):
            part_where = f"{where}.content[{j}]"
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise bad_request(f"'{part_where}' must be an object with a string 'type'.",
                                  code="invalid_messages", param=part_where)
            kind = part["type"]
            if kind in TEXT_PART_TYPES:
                text = part.get("text", part.get("refusal"))
                if not isinstance(text, str):
                    raise bad_request(f"'{part_where}.text' must be a string.", code="invalid_messages",
                                      param=part_where)
                texts.append(text)
            elif kind in MEDIA_PART_TYPES:
                media.add(MEDIA_PART_TYPES[kind])
    else:
        raise bad_request(f"'{where}.content' must be a string or an array of content parts.",
                          code="invalid_messages", param=f"{where}.content")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        texts.append(refusal)
    texts += tool_call_text(message.get("tool_calls"), f"{where}.tool_calls")
    function_call = message.get("function_call")
    if isinstance(function_call, dict):
        texts += tool_call_text([{"function": function_call}], f"{where}.function_call")
    return Message("tool" if role == "function" else role, "\n".join(texts), frozenset(media))


class ChatCompletions(EndpointSpec):
    name = "chat"
    path = "/v1/chat/completions"
    capability = "chat"

    def parse_fields(self, body: dict[str, Any], model: str, stream: bool) -> ParsedRequest:
        messages = body.get("messages")
        if messages is None:
            raise bad_request("'messages' is a required property.", code="missing_messages", param="messages")
        if not isinstance(messages, list) or not messages:
            raise bad_request("'messages' must be a non-empty array.", code="invalid_messages", param="messages")
        parsed = [parse_chat_message(i, m) for i, m in enumerate(messages)]
        tools = typed_field(body, "tools", list, "an array")
        functions = typed_field(body, "functions", list, "an array")
        options = typed_field(body, "stream_options", dict, "an object")
        if options is not None and not isinstance(options.get("include_usage", False), bool):
            raise bad_request("'stream_options.include_usage' must be a boolean.", code="invalid_type",
                              param="stream_options.include_usage")
        typed_field(body, "chat_template_kwargs", dict, "an object")
        typed_field(body, "reasoning_effort", str, "a string")
        return ParsedRequest(self.name, model, stream, parsed, body, bool(tools) or bool(functions),
                             frozenset().union(*(m.media for m in parsed)),
                             int_field(body, "max_completion_tokens", "max_tokens"))

    def add_system_prompt(self, body: dict[str, Any], prompt: SystemPrompt) -> None:
        system = {"role": "system", "content": prompt.text}
        messages = body["messages"]
        if prompt.mode == "replace":
            messages = [m for m in messages if m.get("role") not in ("system", "developer")]
        body["messages"] = [system, *messages]

    def set_reasoning(self, body: dict[str, Any], model: ModelSpec, reasoning: Reasoning) -> None:
        family = model.reasoning_family
        if family in ("qwen3", "deepseek"):
            key = "enable_thinking" if family == "qwen3" else "thinking"
            kwargs = dict(body.get("chat_template_kwargs") or {})
            if key not in kwargs or reasoning.override_client:
                kwargs[key] = reasoning.enabled
            body["chat_template_kwargs"] = kwargs
        elif family == "openai" and ("reasoning_effort" not in body or reasoning.override_client):
            body["reasoning_effort"] = reasoning.effort if reasoning.enabled else "minimal"

    def ask_for_usage(self, body: dict[str, Any]) -> bool:
        return ask_for_stream_usage(body)


def ask_for_stream_usage(body: dict[str, Any]) -> bool:
    """``stream_options.include_usage`` for a stream whose client did not ask: True when added."""
    if body.get("stream") is not True:
        return False
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        return False
    body["stream_options"] = (options if isinstance(options, dict) else {}) | {"include_usage": True}
    return True
