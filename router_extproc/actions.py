"""Actions: what a route choice changes in the request on its way upstream.

Model id rewrite, PII redaction with typed placeholders, system prompt injection, reasoning
switches per model family (a client's explicit setting kept unless the policy overrides),
and extra upstream headers. Works on a copy of the body; the request model is untouched.
"""

from __future__ import annotations

import copy
from typing import Any

from . import headers as H
from .openai_request import ParsedRequest
from .pii import PiiDetector
from .policy.models import Actions, ModelSpec, Reasoning, SystemPrompt
from .router import RouteOutcome, redacted_types


def route_headers(outcome: RouteOutcome, content_length: int | None) -> dict[str, str]:
    """Request headers that send the request to the chosen model's Envoy route (plus the
    decision's extra headers). ``content_length`` must follow any body rewrite: Envoy answers
    500 when a body mutation and the header disagree."""
    set_headers = dict(outcome.choice.actions.headers) if outcome.choice.actions else {}
    set_headers[H.SELECTED_MODEL] = outcome.choice.model
    if content_length is not None:
        set_headers[H.CONTENT_LENGTH] = str(content_length)
    return set_headers


def upstream_body(request: ParsedRequest, outcome: RouteOutcome) -> dict[str, Any]:
    actions = outcome.choice.actions or Actions()
    body = dict(request.body)
    body["model"] = outcome.model.provider_model_id
    types = redacted_types(outcome.choice, outcome.pii)
    if types:
        body = redact(body, types)
        if outcome.model.privacy == "external" and _residual_pii(body, types):
            # privacy closure relied on this redaction: never forward what it missed
            raise RedactionIncomplete(f"redaction left {sorted(types)} in the body")
    if actions.system_prompt is not None and request.endpoint == "chat":
        body["messages"] = with_system_prompt(body["messages"], actions.system_prompt)
    if actions.reasoning is not None:
        set_reasoning(body, outcome.model, actions.reasoning)
    return body


class RedactionIncomplete(RuntimeError):
    """The redacted body still holds PII the route depended on removing."""


def _texts(body: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for message in body.get("messages", []) or []:
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out += [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
    prompt = body.get("prompt")
    out += [prompt] if isinstance(prompt, str) else [p for p in prompt if isinstance(p, str)] if isinstance(prompt, list) else []
    return out


def _residual_pii(body: dict[str, Any], types: frozenset[str]) -> bool:
    detector = PiiDetector(tuple(types))
    return any(detector.find(text) for text in _texts(body))


def redact(body: dict[str, Any], types: frozenset[str]) -> dict[str, Any]:
    """Replace PII of ``types`` by ``[TYPE]`` placeholders in every message text and prompt."""
    detector = PiiDetector(tuple(types))

    def clean(text: str) -> str:
        spans = detector.find(text)
        for span in reversed(spans):
            text = text[: span.start] + f"[{span.type}]" + text[span.end :]
        return text

    body = copy.deepcopy(body)
    for message in body.get("messages", []) or []:
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = clean(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"] = clean(part["text"])
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        body["prompt"] = clean(prompt)
    elif isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        body["prompt"] = [clean(p) for p in prompt]
    return body


def with_system_prompt(messages: list[dict[str, Any]], prompt: SystemPrompt) -> list[dict[str, Any]]:
    system = {"role": "system", "content": prompt.text}
    if prompt.mode == "replace":
        return [system, *(m for m in messages if m.get("role") not in ("system", "developer"))]
    return [system, *messages]


def set_reasoning(body: dict[str, Any], model: ModelSpec, reasoning: Reasoning) -> None:
    family = model.reasoning_family
    if family in ("qwen3", "deepseek"):
        key = "enable_thinking" if family == "qwen3" else "thinking"
        kwargs = dict(body.get("chat_template_kwargs") or {})
        if key not in kwargs or reasoning.override_client:
            kwargs[key] = reasoning.enabled
        body["chat_template_kwargs"] = kwargs
    elif family == "openai":
        if "reasoning_effort" not in body or reasoning.override_client:
            body["reasoning_effort"] = reasoning.effort if reasoning.enabled else "minimal"
