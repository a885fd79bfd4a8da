from __future__ import annotations

import json

from router_extproc.openai_request import parse_request
from router_extproc.policy.models import ContextLengthSignal, KeywordSignal
from router_extproc.signals.context_length import ContextLengthRange, estimate_prompt_tokens
from router_extproc.signals.keyword import KeywordMatcher


def _request(*user_turns: str, system: str = ""):
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": t} for t in user_turns
    ]
    return parse_request("chat", json.dumps({"model": "auto", "messages": messages}).encode())


def test_keyword_any_all_regex_and_case() -> None:
    spec = KeywordSignal(name="code", any=["Python"], all=["stack", "trace"], regex=[r"\bdef\s+\w+\("])
    matcher = KeywordMatcher(spec)
    assert matcher.evaluate(_request("I love PYTHON")).matched
    assert matcher.evaluate(_request("here is a trace of the stack")).matched
    assert matcher.evaluate(_request("def foo(x): pass")).matched
    miss = matcher.evaluate(_request("a stack of pancakes"))
    assert not miss.matched and miss.score == 0.0
    sensitive = KeywordMatcher(KeywordSignal(name="s", any=["Python"], case_sensitive=True))
    assert not sensitive.evaluate(_request("python")).matched


def test_keyword_scope_reads_the_whole_conversation_when_asked() -> None:
    request = _request("write python please", "and now make it faster", system="you are terse")
    assert KeywordMatcher(KeywordSignal(name="a", any=["python"], scope="user")).evaluate(request).matched
    assert not KeywordMatcher(KeywordSignal(name="b", any=["python"], scope="last_user")).evaluate(request).matched
    assert KeywordMatcher(KeywordSignal(name="c", any=["terse"], scope="conversation")).evaluate(request).matched
    assert not KeywordMatcher(KeywordSignal(name="d", any=["terse"], scope="user")).evaluate(request).matched


def test_context_length_bounds() -> None:
    short, long = _request("x" * 40), _request("x" * 40_000)
    assert estimate_prompt_tokens(short) == 10 + 4
    signal = ContextLengthRange(ContextLengthSignal(name="long", min_tokens=5000))
    assert not signal.evaluate(short).matched
    result = signal.evaluate(long)
    assert result.matched and result.score == 10_004
    bounded = ContextLengthRange(ContextLengthSignal(name="mid", min_tokens=10, max_tokens=100))
    assert bounded.evaluate(short).matched and not bounded.evaluate(long).matched
