"""The reliability suite's own judgement, without processes: what counts as routed, refused or
a violation, what an OpenAI client can read, and that the fuzzer covers every class."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bench.reliability.bodies import GENERATORS, generate
from bench.reliability.client import Answer, openai_shaped
from bench.reliability.security import classify

JSON = {"content-type": "application/json"}


def _stack(*records: tuple[str, dict]) -> SimpleNamespace:
    backends = {name: SimpleNamespace(requests=[]) for name in ("small", "large")}
    for name, record in records:
        backends[name].requests.append(record)
    return SimpleNamespace(backends=backends, policy=SimpleNamespace(default_model="small"))


def _record(probe: str, **fields) -> dict:
    return {"headers": {"x-probe": probe, **fields.pop("headers", {})}, **fields}


def test_a_model_reached_without_the_routers_header_is_a_violation() -> None:
    stack = _stack(("small", _record("p", method="POST", route="chat", path="/v1/chat%2Fcompletions")))
    assert classify(stack, "p", "POST", Answer(200, JSON, b"{}")).startswith("violation")


def test_a_routed_path_on_the_default_route_is_fail_open_but_any_other_path_is_a_violation() -> None:
    timed_out = _stack(("small", _record("f", method="POST", route="chat", path="/v1/chat/completions?x=1")))
    assert classify(timed_out, "f", "POST", Answer(200, JSON, b"{}")) == "fail-open"
    unrewritten = _stack(("small", _record("g", method="POST", route="chat", path="/v1/chat%2Fcompletions")))
    assert classify(unrewritten, "g", "POST", Answer(200, JSON, b"{}")).startswith("violation")


def test_routed_pass_through_and_refused() -> None:
    routed = _stack(("large", _record("r", method="POST", route="chat", headers={"x-selected-model": "large"})))
    answer = Answer(200, {**JSON, "x-router-decision": "code", "x-router-model": "large"}, b'{"choices": []}')
    assert classify(routed, "r", "POST", answer, check_choice=True) == "routed"
    spoofed = Answer(200, {**JSON, "x-router-decision": "code", "x-router-model": "small"}, b'{"choices": []}')
    assert classify(routed, "r", "POST", spoofed, check_choice=True).startswith("violation")
    listed = _stack(("small", _record("m", method="GET", route="models")))
    assert classify(listed, "m", "GET", Answer(200, JSON, b'{"object": "list"}')) == "pass-through"
    error = json.dumps({"error": {"message": "no", "type": "invalid_request_error", "code": "unknown_url"}})
    assert classify(_stack(), "x", "POST", Answer(404, JSON, error.encode())) == "refused"
    assert classify(_stack(), "x", "POST", Answer(404, {"content-type": "text/plain"}, b"no")).startswith("violation")


def test_openai_shapes() -> None:
    error = {"error": {"message": "m", "type": "t", "code": None}}
    assert openai_shaped(Answer(400, JSON, json.dumps(error).encode()))
    sse = b"data: " + json.dumps(error).encode() + b"\n\ndata: [DONE]\n\n"
    assert openai_shaped(Answer(400, {"content-type": "text/event-stream"}, sse))
    assert not openai_shaped(Answer(400, JSON, b'{"detail": "not found"}'))
    assert not openai_shaped(Answer(None))


def test_the_fuzzer_covers_every_class_deterministically() -> None:
    first = list(generate(200, seed=3))
    assert {body.kind for body in first} == set(GENERATORS)
    assert [b.data for b in first] == [b.data for b in generate(200, seed=3)]
