"""A policy with both a cascade and the response cache, through the real Envoy: the cache keeps
what the client got from the cascade (the strong answer when it escalated, the cheap one it
kept), so a repeat is answered without any model call."""

from __future__ import annotations

import pytest

from router_extproc.demo.backend import Behaviour
from router_extproc.demo.stack import running_stack
from tests.e2e.test_cascade import CHAT, POLICY, QUESTION
from tests.helpers import http_request

pytestmark = pytest.mark.e2e
KEY = {"authorization": "Bearer tenant-a-key"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    path = tmp_path_factory.mktemp("cascade-cache") / "policy.yaml"
    path.write_text(POLICY + "cache: {ttl_seconds: 600}\n")
    with running_stack(path, log_dir=path.parent) as running:
        yield running


def _ask(stack, question: str):
    body = {"model": "auto", "temperature": 0, "messages": [{"role": "user", "content": question}]}
    return http_request(stack.url + CHAT, body=body, headers=KEY)


def _calls(stack) -> int:
    return sum(b.seen for b in stack.backends.values())


@pytest.mark.parametrize(("cheap", "second", "served", "content"), [
    ("The answer is (A).", "The answer is (C).", "strong", "Strong: the answer is (C)."),
    ("Thinking... the answer is (C).", "C", "cheap", "Thinking... the answer is (C)."),
])
def test_the_cascades_answer_is_cached_and_replayed_without_calls(stack, cheap, second, served, content) -> None:
    stack.backends["cheap"].behaviour = Behaviour(text=cheap)
    stack.backends["second"].behaviour = Behaviour(text=second)
    stack.backends["strong"].behaviour = Behaviour(text="Strong: the answer is (C).")
    question = f"{QUESTION}\n(served by {served})"  # one question per case: its own cache entry
    first = _ask(stack, question)
    assert first.status == 200, first.body
    assert first.headers["x-router-cache"] == "miss"
    assert first.headers["x-router-model"] == served
    assert first.json()["choices"][0]["message"]["content"] == content
    calls = _calls(stack)
    again = _ask(stack, question)
    assert again.status == 200, again.body
    assert again.headers["x-router-cache"] == "hit"
    assert again.json()["choices"][0]["message"]["content"] == content
    assert _calls(stack) == calls  # no cheap, second or strong call
