"""Fallback on upstream failure through the real Envoy: its retry moves to the decision's next
model (a priority per model in the chain's cluster), the body carries that model's own id, and a
private request's chain holds only local models."""

from __future__ import annotations

import pytest

from router_extproc.demo.backend import Behaviour
from router_extproc.demo.stack import running_stack, wait_until
from tests.e2e.test_operations import decision_lines
from tests.helpers import chat, http_request

pytestmark = pytest.mark.e2e
CHAT = "/v1/chat/completions"

POLICY = """
version: 1
name: fallback-e2e
default_model: a
models:
  a: {provider_model_id: org/a-8b, cost: {input_per_1m: 0.1, output_per_1m: 0.2}, privacy: local}
  b: {provider_model_id: vendor/b-large, cost: {input_per_1m: 1, output_per_1m: 2}, privacy: external}
  c: {provider_model_id: org/c-70b, cost: {input_per_1m: 0.5, output_per_1m: 0.8}, privacy: local}
privacy:
  private_headers:
    x-tenant-tier: [private]
signals:
  keyword:
    - {name: any, regex: ['(?s).']}
decisions:
  - name: main
    when: {signal: "keyword:any"}
    models: [a, b, c]
    fallback: {attempts: 2}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    path = tmp_path_factory.mktemp("fallback") / "policy.yaml"
    path.write_text(POLICY)
    with running_stack(path, log_dir=path.parent) as running:
        yield running


@pytest.fixture(autouse=True)
def reset(stack):
    for backend in stack.backends.values():
        backend.behaviour = Behaviour()
    yield


def test_a_healthy_model_answers_itself(stack) -> None:
    reply = http_request(stack.url + CHAT, body=chat("hi"))
    assert reply.status == 200
    assert reply.headers["x-backend"] == "a" and reply.headers["x-router-model"] == "a"
    assert "x-router-fallback" not in reply.headers


@pytest.mark.parametrize("status", [503, 429])
def test_a_failing_cluster_falls_back_to_the_next_model_of_the_decision(stack, status: int) -> None:
    stack.backends["a"].behaviour = Behaviour(status=status)
    logged = len(decision_lines(stack))
    reply = http_request(stack.url + CHAT, body=chat("hi"))
    assert reply.status == 200, reply.body
    assert reply.headers["x-backend"] == "b"
    assert stack.backends["b"].requests[-1]["model"] == "vendor/b-large"  # its own id, not a's
    assert reply.headers["x-router-model"] == "b"
    assert reply.headers["x-router-fallback"] == "a>b"
    # the record (metrics, decision log) is written when the ext_proc stream ends, which can be a
    # moment after the client has its answer
    wait_until(lambda: len(decision_lines(stack)) > logged, 10, "the request's record")
    counted = 'router_fallbacks_total{chosen="a",decision="main",model="b"}'
    wait_until(lambda: counted in stack.router.metrics(), 10, "the fallback's metric")
    entry = decision_lines(stack)[-1]
    assert entry["model"] == "b" and entry["fallback"] == {"from": "a", "attempts": 2}


def test_a_private_request_never_falls_back_to_an_external_model(stack) -> None:
    stack.backends["a"].behaviour = Behaviour(status=503)
    external_before = stack.backends["b"].seen
    reply = http_request(stack.url + CHAT, body=chat("hi"), headers={"x-tenant-tier": "private"})
    assert reply.status == 200, reply.body
    assert reply.headers["x-backend"] == "c"
    assert stack.backends["c"].requests[-1]["model"] == "org/c-70b"
    assert stack.backends["b"].seen == external_before


def test_when_every_model_of_the_chain_fails_the_client_gets_the_last_error(stack) -> None:
    stack.backends["a"].behaviour = Behaviour(status=503)
    stack.backends["b"].behaviour = Behaviour(status=503)
    reply = http_request(stack.url + CHAT, body=chat("hi"))
    assert reply.status == 503
    assert reply.headers["x-router-model"] == "b"
