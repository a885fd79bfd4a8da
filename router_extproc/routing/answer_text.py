"""An answer's text, why it stopped and its token logprobs, read from each API's JSON answer.

What the cascade compares (``decision/agreement.py``). Chat Completions: the first choice's
message content, ``finish_reason`` and ``logprobs.content[].logprob``; Completions: ``text``,
``finish_reason`` and ``logprobs.token_logprobs``; Messages: the text blocks and ``stop_reason``;
Responses: the ``output_text`` parts and ``incomplete_details.reason``. Anything unreadable is
no answer (``text`` None), which the cascade treats as an error to escalate.
"""

from __future__ import annotations

from typing import Any

import orjson

from router_extproc.decision.agreement import Answer
from router_extproc.endpoints.paths import Endpoint


def _numbers(values: Any) -> tuple[float, ...] | None:
    if not isinstance(values, list):
        return None
    out = tuple(float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return out or None


def _chat(doc: dict[str, Any]) -> Answer:
    choice = (doc.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content = message.get("content")
    logprobs = choice.get("logprobs") or {}
    tokens = logprobs.get("content") if isinstance(logprobs, dict) else None
    lp = _numbers([t.get("logprob") for t in tokens if isinstance(t, dict)]) if isinstance(tokens, list) else None
    return Answer(content if isinstance(content, str) else None, choice.get("finish_reason"), lp)


def _completions(doc: dict[str, Any]) -> Answer:
    choice = (doc.get("choices") or [{}])[0]
    logprobs = choice.get("logprobs") or {}
    lp = _numbers(logprobs.get("token_logprobs")) if isinstance(logprobs, dict) else None
    text = choice.get("text")
    return Answer(text if isinstance(text, str) else None, choice.get("finish_reason"), lp)


def _messages(doc: dict[str, Any]) -> Answer:
    blocks = doc.get("content")
    if not isinstance(blocks, list):
        return Answer(None)
    text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
    return Answer(text, doc.get("stop_reason"))


def _responses(doc: dict[str, Any]) -> Answer:
    output = doc.get("output")
    if not isinstance(output, list):
        return Answer(None)
    parts = [c.get("text", "") for item in output if isinstance(item, dict)
             for c in (item.get("content") or []) if isinstance(c, dict) and c.get("type") == "output_text"]
    incomplete = doc.get("incomplete_details") or {}
    return Answer("".join(parts), incomplete.get("reason") if isinstance(incomplete, dict) else None)


_READERS = {"chat": _chat, "completions": _completions, "messages": _messages, "responses": _responses}


def read_answer(endpoint: Endpoint, body: bytes) -> Answer:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Answer(None)
    if not isinstance(document, dict):
        return Answer(None)
    try:
        return _READERS[endpoint](document)
    except (AttributeError, TypeError, IndexError, KeyError):
        return Answer(None)
