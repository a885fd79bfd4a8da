"""The cache's parts: tenant isolation (a property), keys, whole-answer checks per API, the
memory store's bounds, the circuit breaker, the real Redis store, and the plan's stage."""

from __future__ import annotations

import itertools
import json
import pathlib
import signal
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.cache.answers import complete
from router_extproc.cache.fingerprint import digest, without_last_turn
from router_extproc.cache.runtime import CacheRuntime
from router_extproc.cache.stage import CachedAnswer
from router_extproc.cache.store import GuardedStore, MemoryStore, RedisStore, StoreUnavailable
from router_extproc.cache.tenant import tenant_of
from router_extproc.demo import answers
from router_extproc.demo.redis_server import RedisServer
from router_extproc.endpoints import spec
from router_extproc.policy import parse_policy
from router_extproc.policy.cache_spec import TenantSpec
from router_extproc.routing.plan import Planner
from router_extproc.routing.router import Router

EXAMPLES = itertools.count()
DEFAULT = pathlib.Path(__file__).resolve().parents[2] / "policies" / "default.yaml"


@pytest.fixture(scope="module")
def planner() -> Planner:
    document = yaml.safe_load(DEFAULT.read_text())
    document["cache"] = {}
    return Planner(Router(parse_policy(yaml.safe_dump(document), "cache")), None, CacheRuntime())


def chat(text: str, **extra) -> bytes:
    return json.dumps({"model": "auto", "temperature": 0, "messages": [{"role": "user", "content": text}],
                       **extra}).encode()


def answer_json() -> bytes:
    return json.dumps(answers.openai_json("chat", "m", "Paris.", {"prompt_tokens": 3, "completion_tokens": 2}, {},
                                          None)).encode()


def remember(planner: Planner, body: bytes, headers: dict[str, str]) -> None:
    plan = planner.plan(spec("chat"), body, headers)
    assert plan.cache is not None and plan.cache.status == "miss"
    assert planner.cache is not None
    assert planner.cache.store_answer(plan.cache, CachedAnswer(answer_json(), "application/json", "small", "exact"))


# -- tenant isolation ----------------------------------------------------------------------------

header_values = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(a=header_values, b=header_values, body=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8)))
def test_keys_of_two_tenants_never_meet(a: str, b: str, body: dict) -> None:
    ta, tb = tenant_of(TenantSpec(), {"authorization": a}), tenant_of(TenantSpec(), {"authorization": b})
    assert ta is not None and tb is not None
    if a.strip() != b.strip():
        assert ta != tb
        for kind in ("e", "p"):
            assert digest(ta, "chat", "1", [], body, kind) != digest(tb, "chat", "1", [], body, kind)


@settings(max_examples=60, deadline=None)
@given(a=header_values, b=header_values, text=st.sampled_from(["What is the capital of France?",
                                                               "Name three primary colours."]))
def test_no_lookup_crosses_tenants(planner: Planner, a: str, b: str, text: str) -> None:
    """Stored under one API key, a request (exact or rephrased) under another always misses."""
    if a.strip() == b.strip():
        return
    text = f"{text} {a} (example {next(EXAMPLES)})"
    remember(planner, chat(text), {"authorization": a})
    for body in (chat(text), chat(f"hi, {text.lower()}")):
        plan = planner.plan(spec("chat"), body, {"authorization": b})
        assert plan.cache is not None and plan.cache.status != "hit"
    assert planner.plan(spec("chat"), chat(text), {"authorization": a}).cached


def test_a_configured_tenant_header_and_anonymous_requests() -> None:
    by_header = TenantSpec(header="x-tenant")
    assert tenant_of(by_header, {"x-tenant": "acme", "authorization": "k"}) != tenant_of(by_header, {"x-tenant": "other"})
    assert tenant_of(by_header, {"authorization": "k"}) is None
    assert tenant_of(TenantSpec(anonymous="shared"), {}) == "anonymous"
    assert "secret" not in (tenant_of(TenantSpec(), {"x-api-key": "secret"}) or "")


# -- the plan's stage ----------------------------------------------------------------------------

def test_repeat_then_rephrasing_hit_and_other_requests_miss(planner: Planner) -> None:
    headers = {"authorization": "Bearer unit"}
    remember(planner, chat("What is the boiling point of water at sea level?"), headers)
    exact = planner.plan(spec("chat"), chat("What is the boiling point of water at sea level?"), headers)
    assert exact.cached and exact.cache is not None and exact.cache.reason == "exact" and exact.outcome is None
    rephrased = planner.plan(spec("chat"), chat("what's the boiling point of water at sea level??"), headers)
    assert rephrased.cached and rephrased.cache is not None and rephrased.cache.reason == "semantic"
    for other in (chat("What is the boiling point of water at 2000 m?"),
                  chat("What is the freezing point of water at sea level?"),
                  chat("What is the boiling point of water at sea level?", max_tokens=5),
                  chat("What is the boiling point of water at sea level?", stream=True)):
        assert not planner.plan(spec("chat"), other, headers).cached


def test_private_and_uncacheable_requests_bypass(planner: Planner) -> None:
    headers = {"authorization": "Bearer unit"}
    pii = planner.plan(spec("chat"), chat("My card is 4111 1111 1111 1111, why was it declined?"), headers)
    assert pii.cache is not None and (pii.cache.status, pii.cache.reason) == ("bypass", "private")
    warm = planner.plan(spec("chat"), chat("hello there", temperature=0.5), headers)
    assert warm.cache is not None and (warm.cache.status, warm.cache.reason) == ("bypass", "not-cacheable")
    anonymous = planner.plan(spec("chat"), chat("hello there"), {})
    assert anonymous.cache is not None and anonymous.cache.reason == "no-tenant"


def test_the_partition_leaves_out_only_the_last_user_turn() -> None:
    body = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                         {"role": "user", "content": "c"}], "tools": []}
    out = without_last_turn("chat", body)
    assert out is not None and out["messages"][:2] == body["messages"][:2] and out["messages"][2]["content"] != "c"
    assert body["messages"][2]["content"] == "c"  # the request's own body is untouched
    assert without_last_turn("responses", {"input": "x"}) == {"input": without_last_turn("completions", {"prompt": "y"})["prompt"]}  # type: ignore[index]
    assert without_last_turn("completions", {"prompt": [1, 2]}) is None


# -- whole answers ----------------------------------------------------------------------------------

USAGE = {"prompt_tokens": 3, "completion_tokens": 2}


def sse(events: list) -> bytes:
    return b"".join((f"event: {n}\n" if n else "").encode() + b"data: " +
                    (d if isinstance(d, str) else json.dumps(d)).encode() + b"\n\n" for n, d in events)


@pytest.mark.parametrize("endpoint", ["chat", "completions", "responses", "messages"])
def test_whole_answers_are_recognised_and_cut_ones_are_not(endpoint: str) -> None:
    if endpoint in ("chat", "completions"):
        document = answers.openai_json(endpoint, "m", "hi", USAGE, {}, None)
        stream = answers.openai_events({"model": "m"}, "hi", USAGE, {})
        cut_document = json.loads(json.dumps(document).replace('"stop"', '"length"'))
    elif endpoint == "responses":
        document = answers.responses_json("m", "hi", USAGE, {})
        stream = answers.responses_events("m", "hi", USAGE, {})
        cut_document = document | {"status": "incomplete"}
    else:
        document = answers.messages_json("m", "hi", USAGE, {})
        stream = answers.messages_events("m", "hi", USAGE, {})
        cut_document = document | {"stop_reason": "max_tokens"}
    assert complete(endpoint, "application/json", json.dumps(document).encode())
    assert not complete(endpoint, "application/json", json.dumps(cut_document).encode())
    assert not complete(endpoint, "application/json", b'{"error": {"message": "x"}}')
    assert complete(endpoint, "text/event-stream", sse(stream))
    assert not complete(endpoint, "text/event-stream", sse(stream[:-1]))  # cut short
    assert not complete(endpoint, "text/event-stream", sse(stream)[:-1])  # the last event unfinished
    assert not complete(endpoint, "text/event-stream", sse([*stream[:-1], ("error", {"type": "error"}), stream[-1]]))
    assert not complete(endpoint, "text/plain", b"hi")


# -- stores ---------------------------------------------------------------------------------------

def test_the_memory_store_keeps_its_bounds_and_ttl() -> None:
    store = MemoryStore(max_entries=3, max_bytes=1000)
    for i in range(5):
        store.put(f"k{i}", b"x", 60)
    assert len(store) == 3 and store.get("k0") is None and store.get("k4") == b"x"
    store.get("k2")  # used: kept over k3
    store.put("k5", b"x", 60)
    assert store.get("k2") == b"x" and store.get("k3") is None
    store.put("big", b"y" * 999, 60)  # 1002 bytes in all: the two least recent go
    assert store.get("big") is not None and len(store) == 2
    store.put("soon", b"z", 0.05)
    time.sleep(0.1)
    assert store.get("soon") is None
    for i in range(5):
        store.add_candidate("p", f"{i}".encode(), 60, keep=3)
    assert store.candidates("p") == [b"4", b"3", b"2"]


class Broken:
    calls = 0

    def get(self, key: str) -> bytes | None:
        self.calls += 1
        raise ConnectionError("down")


def test_a_failing_store_is_skipped_for_a_while() -> None:
    broken = Broken()
    guarded = GuardedStore(broken, retry_after=0.2)  # type: ignore[arg-type]
    for _ in range(5):
        with pytest.raises(StoreUnavailable):
            guarded.get("k")
    assert broken.calls == 1 and guarded.errors == 1
    time.sleep(0.25)
    with pytest.raises(StoreUnavailable):
        guarded.get("k")
    assert broken.calls == 2


def test_the_redis_store_against_a_real_redis() -> None:
    server = RedisServer().start()
    try:
        store = RedisStore(server.url, timeout=0.2)
        store.put("k", b"v", 60)
        assert store.get("k") == b"v" and store.get("missing") is None
        for i in range(5):
            store.add_candidate("p", f"{i}".encode(), 60, keep=3)
        assert store.candidates("p") == [b"4", b"3", b"2"]
        store.put("soon", b"v", 0.05)
        time.sleep(0.15)
        assert store.get("soon") is None
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)  # slow: answers nothing
        try:
            started = time.perf_counter()
            with pytest.raises(StoreUnavailable):
                GuardedStore(store).get("k")
            assert time.perf_counter() - started < 0.5  # the 200 ms timeout, not a hang
        finally:
            server.proc.send_signal(signal.SIGCONT)
        server.kill()
        guarded = GuardedStore(store, retry_after=1)
        started = time.perf_counter()
        with pytest.raises(StoreUnavailable):
            guarded.get("k")
        assert time.perf_counter() - started < 0.5
        store.close()
    finally:
        server.stop()
