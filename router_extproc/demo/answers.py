"""What the demo backend answers, in each API's own shape: JSON, or the events of its stream.

Shapes follow the public API references closely enough for the gateway to do its job on them
(usage where each API keeps it, stream framing, finish markers): Chat Completions and
Completions (``data:`` chunks, an optional usage-only chunk, ``[DONE]``), Responses
(``response.created`` ... ``response.completed`` carrying usage), Anthropic Messages
(``message_start`` with input tokens ... ``message_delta`` with output tokens, ``message_stop``).
Each answer also echoes what the backend ``received`` (for tests); the stream carries it in its
last content event.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

Event = tuple[str | None, dict[str, Any] | str]
"""An SSE event: its ``event:`` name (None: none) and its data (a JSON object or a raw string)."""


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def openai_json(route: str, model: str, text: str, usage: dict[str, int], received: dict[str, Any],
                logprobs: list[float] | None = None) -> dict[str, Any]:
    if route == "completions":
        choice: dict[str, Any] = {"index": 0, "text": text, "finish_reason": "stop"}
        obj = "text_completion"
    else:
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        obj = "chat.completion"
    if logprobs is not None:
        choice["logprobs"] = {"content": [{"token": w, "logprob": p} for w, p in zip(text.split(), logprobs, strict=False)]}
    return {"id": _id("cmpl-"), "object": obj, "created": int(time.time()), "model": model, "choices": [choice],
            "usage": usage, "received": received}


def openai_events(body: dict[str, Any], text: str, usage: dict[str, int], received: dict[str, Any]) -> list[Event]:
    base = {"id": _id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model")}
    chunks: list[dict[str, Any]] = [base | {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    chunks += [base | {"choices": [{"index": 0, "delta": {"content": word + " "}}]} for word in text.split()]
    chunks.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "received": received})
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        chunks = [chunk | {"usage": None} for chunk in chunks]
        chunks.append(base | {"choices": [], "usage": usage})
    return [(None, c) for c in chunks] + [(None, "[DONE]")]


def responses_json(model: str, text: str, usage: dict[str, int], received: dict[str, Any]) -> dict[str, Any]:
    return {"id": _id("resp_"), "object": "response", "created_at": int(time.time()), "status": "completed",
            "model": model, "output": [{"type": "message", "id": _id("msg_"), "status": "completed", "role": "assistant",
                                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"],
                      "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]},
            "received": received}


def responses_events(model: str, text: str, usage: dict[str, int], received: dict[str, Any]) -> list[Event]:
    done = responses_json(model, text, usage, received)
    started = done | {"status": "in_progress", "output": [], "usage": None}
    events: list[Event] = [("response.created", {"type": "response.created", "sequence_number": 0, "response": started})]
    events += [("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": i + 1,
                                               "output_index": 0, "content_index": 0, "delta": word + " "})
               for i, word in enumerate(text.split())]
    events.append(("response.completed", {"type": "response.completed", "sequence_number": len(events),
                                          "response": done}))
    return events


def messages_json(model: str, text: str, usage: dict[str, int], received: dict[str, Any]) -> dict[str, Any]:
    return {"id": _id("msg_"), "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]},
            "received": received}


def messages_events(model: str, text: str, usage: dict[str, int], received: dict[str, Any]) -> list[Event]:
    message = messages_json(model, "", usage, received) | {"content": [], "stop_reason": None,
                                                           "usage": {"input_tokens": usage["prompt_tokens"],
                                                                     "output_tokens": 1}}
    message.pop("received")
    events: list[Event] = [("message_start", {"type": "message_start", "message": message}),
                           ("content_block_start", {"type": "content_block_start", "index": 0,
                                                    "content_block": {"type": "text", "text": ""}})]
    events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": word + " "}}) for word in text.split()]
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                  "usage": {"output_tokens": usage["completion_tokens"]}, "received": received}),
               ("message_stop", {"type": "message_stop"})]
    return events


def error_json(route: str, status: int, message: str, code: str) -> dict[str, Any]:
    """An error in the route's API shape."""
    if route == "messages":
        return {"type": "error", "error": {"type": "invalid_request_error" if status < 500 else "api_error",
                                           "message": message}}
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
