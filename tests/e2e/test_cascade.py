"""The agreement cascade through the real Envoy: the router's side calls go back through Envoy's
internal listener; the demo backends play the models (their ``Behaviour`` sets each answer)."""

from __future__ import annotations

import pytest

from router_extproc.demo.backend import Behaviour
from router_extproc.demo.stack import running_stack
from tests.e2e.test_operations import wait_for_line
from tests.helpers import chat, http_request

pytestmark = pytest.mark.e2e
CHAT = "/v1/chat/completions"
QUESTION = "Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer with the letter."

POLICY = """
version: 1
name: cascade-e2e
default_model: cheap
models:
  cheap: {provider_model_id: org/cheap-8b, cost: {input_per_1m: 0.05, output_per_1m: 0.08}, privacy: local}
  second: {provider_model_id: org/second-mini, cost: {input_per_1m: 0.1, output_per_1m: 0.4}, privacy: local}
  strong: {provider_model_id: org/strong-70b, cost: {input_per_1m: 0.6, output_per_1m: 0.8}, privacy: external}
privacy:
  private_headers:
    x-tenant-tier: [private]
signals:
  keyword:
    - {name: any, regex: ['(?s).']}
decisions:
  - name: cascade
    when: {signal: "keyword:any"}
    models: [cheap, second, strong]
    strategy: {type: cascade, threshold: 0.5, difficulty_weight: 0, no_opinion: 1.0, max_wait_ms: 5000}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    path = tmp_path_factory.mktemp("cascade") / "policy.yaml"
    path.write_text(POLICY)
    with running_stack(path, log_dir=path.parent) as running:
        yield running


@pytest.fixture(autouse=True)
def reset(stack):
    for backend in stack.backends.values():
        backend.behaviour = Behaviour()
    yield


def _answers(stack, cheap: str, second: str, strong: str = "The answer is (C).") -> None:
    stack.backends["cheap"].behaviour = Behaviour(text=cheap)
    stack.backends["second"].behaviour = Behaviour(text=second)
    stack.backends["strong"].behaviour = Behaviour(text=strong)


def test_agreeing_cheap_answers_are_returned_without_a_strong_call(stack) -> None:
    _answers(stack, "Thinking... the answer is (C).", "C")
    strong_before = stack.backends["strong"].seen
    reply = http_request(stack.url + CHAT, body=chat(QUESTION))
    assert reply.status == 200, reply.body
    assert reply.json()["choices"][0]["message"]["content"] == "Thinking... the answer is (C)."
    assert reply.headers["x-router-model"] == "cheap"
    assert reply.headers["x-router-cascade-outcome"] == "kept:agree"
    assert reply.headers["x-router-calls"] == "cheap:200,second:200"
    assert stack.backends["strong"].seen == strong_before
    # the second opinion carried its own provider id, through the internal listener
    assert stack.backends["second"].requests[-1]["model"] == "org/second-mini"
    assert stack.backends["second"].requests[-1]["headers"]["x-router-cascade"] == "second"


def test_disagreeing_answers_are_escalated_with_every_call_accounted(stack) -> None:
    _answers(stack, "The answer is (A).", "The answer is (C).", "Strong says: the answer is (C).")
    reply = http_request(stack.url + CHAT, body=chat(QUESTION), headers={"x-request-id": "cascade-escalated"})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["choices"][0]["message"]["content"] == "Strong says: the answer is (C)."
    assert int(reply.headers.get("content-length", len(reply.body))) == len(reply.body)
    assert reply.headers["x-router-model"] == "strong"
    assert reply.headers["x-router-cascade-outcome"] == "escalated:disagree"
    assert reply.headers["x-router-calls"] == "cheap:200,second:200,strong:200"
    assert stack.backends["strong"].requests[-1]["model"] == "org/strong-70b"
    # usage and cost of all three calls: the demo backend reports prompt = bytes/4, completion = 7
    prompt = sum(max(1, stack.backends[m].requests[-1]["bytes"] // 4) for m in ("cheap", "second", "strong"))
    assert reply.headers["x-router-usage"] == f"prompt={prompt},completion=21"
    assert float(reply.headers["x-router-cost-usd"]) > 0
    entry = wait_for_line(stack, "cascade-escalated")  # written at stream end, after the reply
    metrics = stack.router.metrics()
    assert 'router_cascades_total{decision="cascade",outcome="escalated",reason="disagree"}' in metrics
    assert 'router_model_calls_total{model="strong",stage="strong"}' in metrics
    assert entry["cascade"]["outcome"] == "escalated"
    assert [c["model"] for c in entry["calls"]] == ["cheap", "second", "strong"]
    assert entry["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in entry["calls"]), abs=1e-7)


def test_a_refusal_escalates_whatever_the_second_opinion_says(stack) -> None:
    _answers(stack, "I'm sorry, but I can't help with that.", "I can't help with that.")
    reply = http_request(stack.url + CHAT, body=chat(QUESTION))
    assert reply.headers["x-router-cascade-outcome"] == "escalated:refusal"
    assert reply.json()["choices"][0]["message"]["content"] == "The answer is (C)."


def test_a_client_cannot_set_the_internal_cascade_headers(stack) -> None:
    _answers(stack, "C", "C")
    reply = http_request(stack.url + CHAT, body=chat(QUESTION),
                         headers={"x-router-cascade": "strong", "x-selected-model": "strong", "x-router-fallback": "x"})
    assert reply.status == 200
    received = stack.backends["cheap"].requests[-1]["headers"]
    assert "x-router-cascade" not in received and "x-router-fallback" not in received
    assert reply.headers["x-router-model"] == "cheap"


def test_the_internal_listener_has_no_route_without_the_routers_headers(stack) -> None:
    port = next(int(a.split(":")[1]) for a in _router_args(stack) if a.startswith("127.0.0.1:"))
    reply = http_request(f"http://127.0.0.1:{port}{CHAT}", body=chat(QUESTION), headers={"x-selected-model": "strong"})
    assert reply.status == 404


def _router_args(stack) -> list[str]:
    return list(stack.router.extra_args)


def test_a_private_request_never_cascades_to_an_external_model(stack) -> None:
    _answers(stack, "The answer is (A).", "The answer is (C).")
    strong_before = stack.backends["strong"].seen
    reply = http_request(stack.url + CHAT, body=chat(QUESTION), headers={"x-tenant-tier": "private"})
    assert reply.status == 200
    assert reply.headers["x-router-model"] != "strong"
    assert "x-router-cascade-outcome" not in reply.headers
    assert stack.backends["strong"].seen == strong_before


def test_a_stream_is_not_cascaded(stack) -> None:
    _answers(stack, "The answer is (A).", "The answer is (C).")
    second_before = stack.backends["second"].seen
    reply = http_request(stack.url + CHAT, body=chat(QUESTION, stream=True))
    assert reply.status == 200 and b"data:" in reply.body
    assert "x-router-cascade-outcome" not in reply.headers
    assert stack.backends["second"].seen == second_before


def test_a_strong_answer_slower_than_envoys_message_timeout_still_arrives(stack) -> None:
    # Envoy gives the router 1 s per message; the router extends it for the cascade's wait
    _answers(stack, "The answer is (A).", "The answer is (C).", "Slow but sure: (C).")
    stack.backends["strong"].behaviour.delay = 1.5
    reply = http_request(stack.url + CHAT, body=chat(QUESTION))
    assert reply.status == 200, reply.body
    assert reply.json()["choices"][0]["message"]["content"] == "Slow but sure: (C)."


def test_a_second_opinion_past_the_wait_budget_counts_as_no_opinion(stack) -> None:
    _answers(stack, "The answer is (C).", "The answer is (C).")
    stack.backends["second"].behaviour.delay = 6.0  # max_wait_ms: 5000
    reply = http_request(stack.url + CHAT, body=chat(QUESTION))
    assert reply.status == 200
    assert reply.headers["x-router-cascade-outcome"] == "escalated:no_opinion"  # no_opinion: 1.0 >= threshold
