"""Usage from JSON bodies and SSE streams of every API, split anywhere; the router's own option undone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router_extproc.endpoints.chat import ask_for_stream_usage as ask_for_usage
from router_extproc.endpoints.usage import (
    AnthropicUsage,
    OpenAIUsage,
    ResponsesUsage,
    SseUsageScanner,
    Usage,
    cost_usd,
    usage_from_json,
)
from router_extproc.policy.spec import Cost, ModelSpec

OPENAI = OpenAIUsage()


def event(payload: dict | str, crlf: bool = False) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    end = b"\r\n\r\n" if crlf else b"\n\n"
    return b"data: " + data.encode() + end


CHUNKS = [{"choices": [{"index": 0, "delta": {"content": w}}], "usage": None} for w in ("Hel", "lo")]
USAGE_ONLY = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
STREAM = b"".join(event(c) for c in CHUNKS) + event(USAGE_ONLY) + event("[DONE]")


def feed_all(scanner: SseUsageScanner, parts: list[bytes]) -> bytes:
    return b"".join(out if (out := scanner.feed(p)) is not None else p for p in parts)


def test_json_usage_and_cost() -> None:
    usage = usage_from_json(OPENAI, b'{"usage": {"prompt_tokens": 1000, "completion_tokens": 500}}')
    assert usage == Usage(1000, 500)
    model = ModelSpec(provider_model_id="m", cost=Cost(input_per_1m=3.0, output_per_1m=15.0), privacy="local")
    assert cost_usd(model, usage) == pytest.approx((1000 * 3 + 500 * 15) / 1e6)
    assert usage_from_json(OPENAI, b"not json") is None
    assert usage_from_json(OPENAI, b'{"usage": {"prompt_tokens": -1}}') is None
    assert usage_from_json(OPENAI, b"[1, 2]") is None


def test_stream_usage_is_read_and_the_injected_event_dropped() -> None:
    scanner = SseUsageScanner(OPENAI, strip_usage_event=True)
    out = feed_all(scanner, [STREAM])
    assert scanner.usage == Usage(12, 5)
    assert b'"usage"' not in out
    assert out.endswith(b"data: [DONE]\n\n")
    assert out.count(b"data: ") == 3


def test_a_client_that_asked_gets_the_stream_unchanged() -> None:
    scanner = SseUsageScanner(OPENAI, strip_usage_event=False)
    assert feed_all(scanner, [STREAM]) == STREAM
    assert scanner.usage == Usage(12, 5)


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12, unique=True))
def test_usage_is_found_however_the_stream_is_split(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    parts = [STREAM[a:b] for a, b in zip(points, points[1:], strict=False)]
    scanner = SseUsageScanner(OPENAI, strip_usage_event=True)
    out = feed_all(scanner, parts)
    assert scanner.usage == Usage(12, 5)
    # what reaches the client is always a well-formed stream of the content events + [DONE]
    events = [e for e in out.split(b"\n\n") if e]
    assert events[-1] == b"data: [DONE]"
    assert [json.loads(e[6:])["choices"] for e in events[:-1] if e != b"data: [DONE]"][:2] == [
        c["choices"] for c in CHUNKS
    ]


def test_crlf_events_and_compact_json() -> None:
    compact = b"data: " + json.dumps(USAGE_ONLY, separators=(",", ":")).encode() + b"\r\n\r\n"
    scanner = SseUsageScanner(OPENAI, strip_usage_event=True)
    assert scanner.feed(event(CHUNKS[0], crlf=True) + compact) == event({"choices": CHUNKS[0]["choices"]}, crlf=True)
    assert scanner.usage == Usage(12, 5)


def test_non_sse_garbage_never_raises_and_gives_up_on_huge_events() -> None:
    scanner = SseUsageScanner(OPENAI, strip_usage_event=True)
    assert scanner.feed(b"data: {broken\n\n") is None
    assert scanner.feed(b"x" * (2 * 1024 * 1024)) is None
    assert scanner.feed(event(USAGE_ONLY)) is None  # gave up: passes everything through
    assert scanner.usage is None


def test_ask_for_usage_only_when_streaming_and_not_asked() -> None:
    body = {"stream": True, "stream_options": {"continuous_usage_stats": False}}
    assert ask_for_usage(body) is True
    assert body["stream_options"] == {"continuous_usage_stats": False, "include_usage": True}
    assert ask_for_usage({"stream": True, "stream_options": {"include_usage": True}}) is False
    assert ask_for_usage({"stream": False}) is False


def test_responses_api_usage_from_json_and_its_completed_event() -> None:
    reader = ResponsesUsage()
    assert usage_from_json(reader, b'{"usage": {"input_tokens": 30, "output_tokens": 9}}') == Usage(30, 9)
    created = {"type": "response.created", "response": {"id": "r", "usage": None}}
    delta = {"type": "response.output_text.delta", "delta": "hi"}
    done = {"type": "response.completed", "response": {"id": "r", "usage": {"input_tokens": 30, "output_tokens": 9}}}
    stream = b"".join(b"event: " + e["type"].encode() + b"\n" + event(e) for e in (created, delta, done))
    for cut in range(1, len(stream), 17):
        scanner = SseUsageScanner(reader, strip_usage_event=False)
        assert feed_all(scanner, [stream[:cut], stream[cut:]]) == stream
        assert scanner.usage == Usage(30, 9)


def test_anthropic_usage_from_json_and_from_message_start_and_delta() -> None:
    reader = AnthropicUsage()
    body = b'{"usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 7}}'
    assert usage_from_json(reader, body) == Usage(15, 7)
    start = {"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 25, "output_tokens": 1}}}
    deltas = [{"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}},
              {"type": "message_stop"}]
    stream = b"".join(b"event: " + e["type"].encode() + b"\n" + event(e) for e in (start, *deltas))
    scanner = SseUsageScanner(reader, strip_usage_event=False)
    assert feed_all(scanner, [stream]) == stream
    assert scanner.usage == Usage(25, 15)
