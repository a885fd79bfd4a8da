"""``POST /v1/messages``: the Anthropic Messages API.

``system`` is a string or text blocks; ``messages`` alternate ``user``/``assistant`` with a string
or content blocks: ``text``, ``image`` / ``document`` (media), ``tool_use`` (the assistant's call,
its ``input`` an object the model reads back), ``tool_result`` (a tool's answer inside a user
turn: read as a tool message, where indirect injection arrives), ``thinking``. ``max_tokens`` is
required. Reasoning is ``thinking: {type: enabled, budget_tokens}``.
"""

from __future__ import annotations

from typing import Any

import orjson

from router_extproc.endpoints.base import EndpointSpec, int_field, json_object, role_of, typed_field
from router_extproc.endpoints.error_shapes import AnthropicErrors
from router_extproc.endpoints.request import Message, ParsedRequest
from router_extproc.endpoints.usage import AnthropicUsage
from router_extproc.errors import bad_request
from router_extproc.policy.spec import ModelSpec, Reasoning, SystemPrompt

ROLES = frozenset({"user", "assistant"})
MEDIA_BLOCKS = {"image": "image", "document": "file"}
THINKING_BUDGET = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
"""budget_tokens per reasoning effort (Anthropic's minimum is 1024; it must stay below max_tokens)."""


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind in ("text", "thinking"):
        value = block.get(kind)
        return value if isinstance(value, str) else ""
    if kind == "tool_use":
        return f"{block.get('name', '')} {orjson.dumps(block.get('input', {})).decode()}"
    return ""


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise bad_request(f"'{where}' must be a string or an array of content blocks.", code="invalid_request_error",
                          param=where)
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise bad_request(f"'{where}[{j}]' must be an object with a string 'type'.",
                              code="invalid_request_error", param=f"{where}[{j}]")
    return content


def parse_turn(index: int, turn: Any) -> list[Message]:
    where = f"messages[{index}]"
    turn = json_object(turn, where, "invalid_request_error")
    role = role_of(turn, where, ROLES, "invalid_request_error")
    if turn.get("content") is None:
        raise bad_request(f"'{where}.content' is required.", code="invalid_request_error", param=f"{where}.content")
    texts, media, results = [], set(), []
    for block in _blocks(turn["content"], f"{where}.content"):
        kind = block["type"]
        if kind in MEDIA_BLOCKS:
            media.add(MEDIA_BLOCKS[kind])
        elif kind == "tool_result":
            inner = block.get("content", "")
            inner_blocks = _blocks(inner, f"{where}.content.tool_result") if inner else []
            results.append(Message("tool", "\n".join(_block_text(b) for b in inner_blocks),
                                   frozenset(MEDIA_BLOCKS[b["type"]] for b in inner_blocks if b["type"] in MEDIA_BLOCKS)))
        else:
            texts.append(_block_text(block))
    messages = results
    if texts or media or not results:
        messages = [*results, Message(role, "\n".join(t for t in texts if t), frozenset(media))]
    return messages


class Messages(EndpointSpec):
    name = "messages"
    path = "/v1/messages"
    capability = "chat"
    errors = AnthropicErrors()
    usage = AnthropicUsage()

    def parse_fields(self, body: dict[str, Any], model: str, stream: bool) -> ParsedRequest:
        turns = body.get("messages")
        if not isinstance(turns, list) or not turns:
            raise bad_request("'messages' must be a non-empty array.", code="invalid_request_error", param="messages")
        max_tokens = int_field(body, "max_tokens")
        if max_tokens is None:
            raise bad_request("'max_tokens' is a required property.", code="invalid_request_error", param="max_tokens")
        messages: list[Message] = []
        system = body.get("system")
        if system:
            blocks = _blocks(system, "system")
            messages.append(Message("system", "\n".join(_block_text(b) for b in blocks)))
        for i, turn in enumerate(turns):
            messages += parse_turn(i, turn)
        tools = typed_field(body, "tools", list, "an array")
        typed_field(body, "thinking", dict, "an object")
        return ParsedRequest(self.name, model, stream, messages, body, bool(tools),
                             frozenset().union(*(m.media for m in messages)), max_tokens)

    def add_system_prompt(self, body: dict[str, Any], prompt: SystemPrompt) -> None:
        current = body.get("system")
        if prompt.mode == "replace" or not current:
            body["system"] = prompt.text
        elif isinstance(current, str):
            body["system"] = f"{prompt.text}\n\n{current}"
        else:
            body["system"] = [{"type": "text", "text": prompt.text}, *current]

    def set_reasoning(self, body: dict[str, Any], model: ModelSpec, reasoning: Reasoning) -> None:
        if model.reasoning_family != "anthropic" or ("thinking" in body and not reasoning.override_client):
            return
        budget = THINKING_BUDGET[reasoning.effort]
        max_tokens = body.get("max_tokens")
        if not reasoning.enabled:
            body["thinking"] = {"type": "disabled"}
        elif isinstance(max_tokens, int) and budget < max_tokens:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
