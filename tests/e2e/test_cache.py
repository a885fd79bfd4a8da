"""The response cache end to end: the real Envoy, real router processes, the real Debian
``redis-server`` shared by two replicas, mock LLM backends.

A repeated request is answered from the cache (JSON and SSE, each API's framing), a rephrased
one by the semantic match; another tenant, another system prompt or tool misses; an error is
never stored; a second replica serves what the first stored; Redis killed under requests fails
none of them."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from router_extproc.demo.redis_server import RedisServer
from router_extproc.demo.stack import running_stack
from tests.e2e.test_operations import metric, wait_for_line
from tests.helpers import http_request

pytestmark = pytest.mark.e2e

KEY = {"authorization": "Bearer tenant-a-key"}
OTHER = {"authorization": "Bearer tenant-b-key"}


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cache_policy(default_policy_path, tmp_path_factory) -> pathlib.Path:
    policy = yaml.safe_load(default_policy_path.read_text())
    # a generous store deadline: a loaded CI machine must not turn an expected hit into a bypass
    policy["store"] = {"backend": "redis", "timeout_ms": 250, "retry_after_seconds": 0.5}
    policy["cache"] = {"ttl_seconds": 600}
    policy["affinity"] = {"ttl_seconds": 600, "margin": 1.5}  # no difficulty clears it: only closures move a turn
    path = tmp_path_factory.mktemp("cache") / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.fixture(scope="module")
def stack(cache_policy, redis_server, tmp_path_factory):
    with running_stack(cache_policy, log_dir=tmp_path_factory.mktemp("logs"),
                       router_args=("--redis-url", redis_server.url)) as running:
        yield running


def seen(stack) -> int:
    return sum(b.seen for b in stack.backends.values())


def chat_body(text: str, **extra) -> dict:
    return {"model": "auto", "temperature": 0, "messages": [{"role": "system", "content": "Be brief."},
                                                            {"role": "user", "content": text}], **extra}


BODIES = {
    "/v1/chat/completions": lambda text, **extra: chat_body(text, **extra),
    "/v1/completions": lambda text, **extra: {"model": "auto", "temperature": 0, "prompt": text, **extra},
    "/v1/responses": lambda text, **extra: {"model": "auto", "temperature": 0, "instructions": "Be brief.",
                                            "input": [{"role": "user", "content": text}], **extra},
    "/v1/messages": lambda text, **extra: {"model": "auto", "temperature": 0, "max_tokens": 64, "system": "Be brief.",
                                           "messages": [{"role": "user", "content": text}], **extra},
}


def ask(stack, path: str, body: dict, headers: dict | None = None):
    return http_request(stack.url + path, body=body, headers={**KEY, **(headers or {})})


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("path", list(BODIES))
def test_a_repeated_request_is_answered_from_the_cache(stack, path: str, stream: bool) -> None:
    body = BODIES[path](f"What is the capital of France? ({path} {stream})", stream=stream)
    first = ask(stack, path, body)
    assert first.status == 200, first.body
    assert first.headers["x-router-cache"] == "miss"
    before = seen(stack)
    second = ask(stack, path, body, {"x-request-id": f"cache-hit-{path.rsplit('/', 1)[-1]}-{stream}"})
    assert second.status == 200, second.body
    assert second.headers["x-router-cache"] == "hit" and second.headers["x-router-reason"] == "exact"
    assert seen(stack) == before  # no model was called
    assert second.body == first.body  # the answer as the client got it, byte for byte
    assert second.headers["content-type"].startswith("text/event-stream" if stream else "application/json")
    if stream and path in ("/v1/chat/completions", "/v1/completions"):
        assert second.body.rstrip().endswith(b"data: [DONE]")
    assert second.headers["x-router-model"] == first.headers["x-router-model"]
    line = wait_for_line(stack, f"cache-hit-{path.rsplit('/', 1)[-1]}-{stream}")
    assert line["cache"] == "hit" and line["decision"] == "cache" and line["cost_usd"] == 0
    assert line["prompt_tokens"] == 0 and line["completion_tokens"] == 0


def test_a_rephrased_request_is_a_semantic_hit(stack) -> None:
    first = ask(stack, "/v1/chat/completions", chat_body("What is the boiling point of water at sea level?"))
    assert first.headers["x-router-cache"] == "miss"
    second = ask(stack, "/v1/chat/completions", chat_body("hi, what's the boiling point of water at sea level"))
    assert second.headers["x-router-cache"] == "hit" and second.headers["x-router-reason"] == "semantic"
    assert second.body == first.body
    other = ask(stack, "/v1/chat/completions", chat_body("What is the boiling point of water at 2000 m?"))
    assert other.headers["x-router-cache"] == "miss"


def test_another_tenant_misses(stack) -> None:
    body = chat_body("Name three primary colours.")
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "miss"
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "hit"
    before = seen(stack)
    other = http_request(stack.url + "/v1/chat/completions", body=body, headers=OTHER)
    assert other.headers["x-router-cache"] == "miss" and seen(stack) == before + 1
    anonymous = http_request(stack.url + "/v1/chat/completions", body=body)
    assert anonymous.headers["x-router-cache"] == "bypass"


def test_a_changed_system_prompt_or_tool_misses(stack) -> None:
    body = chat_body("Summarise the plot of Hamlet in one line.")
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "miss"
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "hit"
    system = {**body, "messages": [{"role": "system", "content": "Be verbose."}, *body["messages"][1:]]}
    assert ask(stack, "/v1/chat/completions", system).headers["x-router-cache"] == "miss"
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    assert ask(stack, "/v1/chat/completions", {**body, "tools": [tool]}).headers["x-router-cache"] == "miss"
    other_tool = {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}
    assert ask(stack, "/v1/chat/completions", {**body, "tools": [other_tool]}).headers["x-router-cache"] == "miss"
    assert ask(stack, "/v1/chat/completions", {**body, "temperature": 0.7}).headers["x-router-cache"] == "bypass"


def test_only_cacheable_and_public_requests_are_cached(stack) -> None:
    body = chat_body("Tell me a joke about penguins.", temperature=1)
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "bypass"
    opted = ask(stack, "/v1/chat/completions", body, {"x-router-cache-opt-in": "1"})
    assert opted.headers["x-router-cache"] == "miss"
    assert ask(stack, "/v1/chat/completions", body, {"x-router-cache-opt-in": "1"}).headers["x-router-cache"] == "hit"
    private = chat_body("My card is 4111 1111 1111 1111, why was it declined?")
    assert ask(stack, "/v1/chat/completions", private).headers["x-router-cache"] == "bypass"
    assert ask(stack, "/v1/chat/completions", private).headers["x-router-cache"] == "bypass"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_an_error_is_not_cached(stack, stream: bool) -> None:
    body = chat_body(f"What is 2 + 2? ({stream})", stream=stream)
    for backend in stack.backends.values():
        backend.behaviour.status = 503
    try:
        failed = ask(stack, "/v1/chat/completions", body)
        assert failed.status == 503 and failed.headers["x-router-cache"] == "miss"
    finally:
        for backend in stack.backends.values():
            backend.behaviour.status = None
    before = seen(stack)
    retried = ask(stack, "/v1/chat/completions", body)
    assert retried.status == 200 and retried.headers["x-router-cache"] == "miss" and seen(stack) == before + 1
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "hit"


def test_a_second_replica_serves_what_the_first_stored(stack, cache_policy, redis_server, tmp_path_factory) -> None:
    body = chat_body("Which planet is known as the red planet?")
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "miss"
    with running_stack(cache_policy, log_dir=tmp_path_factory.mktemp("replica"),
                       router_args=("--redis-url", redis_server.url)) as replica:
        reply = ask(replica, "/v1/chat/completions", body)
        assert reply.status == 200 and reply.headers["x-router-cache"] == "hit"
        assert seen(replica) == 0
        session = {"x-session-id": "conversation-across-replicas"}
        assert ask(stack, "/v1/chat/completions", turns(HELLO), session).headers["x-backend"] == "small"
        other = ask(replica, "/v1/chat/completions", turns(HELLO, HARD), session)
        assert (other.headers["x-backend"], other.headers["x-router-reason"]) == ("small", "session")


HARD = "Prove that the square root of 2 is irrational."
HELLO = "hi there, how are you?"


def turns(*texts: str) -> dict:
    messages: list[dict] = []
    for text in texts:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    return {"model": "auto", "messages": messages[:-1]}


def test_a_conversation_keeps_its_model_across_turns(stack) -> None:
    session = {"x-session-id": "conversation-1"}
    assert ask(stack, "/v1/chat/completions", turns(HELLO), session).headers["x-backend"] == "small"
    second = ask(stack, "/v1/chat/completions", turns(HELLO, HARD), session)
    assert (second.headers["x-backend"], second.headers["x-router-reason"]) == ("small", "session")
    fresh = ask(stack, "/v1/chat/completions", turns(HELLO, HARD), {"x-session-id": "conversation-2"})
    assert fresh.headers["x-backend"] == "frontier"  # the same turn, decided afresh in a new conversation
    # without a session header the conversation is named by its first messages
    opened = ask(stack, "/v1/chat/completions", turns("hello there, good morning!"))
    assert opened.headers["x-backend"] == "small"
    follow = ask(stack, "/v1/chat/completions", turns("hello there, good morning!", HARD))
    assert (follow.headers["x-backend"], follow.headers["x-router-reason"]) == ("small", "session")


def test_privacy_closure_moves_a_conversation_off_an_external_model(stack) -> None:
    session = {"x-session-id": "conversation-pii"}
    assert ask(stack, "/v1/chat/completions", turns(HARD), session).headers["x-backend"] == "frontier"
    private = ask(stack, "/v1/chat/completions", turns(HARD, "My card is 4111 1111 1111 1111, is it valid?"), session)
    assert private.headers["x-backend"] == "large"  # frontier is external: the closure forces the change


def test_router_processes_behind_one_envoy_share_the_cache(cache_policy, redis_server, tmp_path_factory) -> None:
    """``serve --processes 2``: Envoy spreads requests over both; what one stored, the other serves."""
    with running_stack(cache_policy, log_dir=tmp_path_factory.mktemp("processes"), router_processes=2,
                       router_args=("--redis-url", redis_server.url)) as two:
        replies = [ask(two, "/v1/chat/completions", chat_body(f"Spell the number {i} in words.")) for i in range(6)]
        assert [r.status for r in replies] == [200] * 6
        repeated = [ask(two, "/v1/chat/completions", chat_body(f"Spell the number {i} in words.")) for i in range(6)]
        assert {r.headers["x-router-cache"] for r in repeated} == {"hit"}
        served = [metric(two.router.metrics(i), "router_ext_proc_streams_total") for i in range(2)]
        assert all(count > 0 for count in served), served


def test_redis_down_fails_no_request(stack, redis_server) -> None:
    """Last in this module: it kills the shared Redis."""
    body = chat_body("What colour is the sky on a clear day?")
    assert ask(stack, "/v1/chat/completions", body).headers["x-router-cache"] == "miss"
    redis_server.kill()
    replies = [ask(stack, "/v1/chat/completions", chat_body(f"Question {i}: what colour is grass?")) for i in range(20)]
    assert [r.status for r in replies] == [200] * 20
    assert {r.headers["x-router-cache"] for r in replies} == {"bypass"}
    assert metric(stack.router.metrics(), "router_cache_store_errors_total") >= 1
    assert metric(stack.router.metrics(), "router_cache_requests_total", result="bypass", reason="store") >= 1
