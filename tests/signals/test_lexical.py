from __future__ import annotations

from router_extproc.policy.spec import ContextLengthSignal, KeywordSignal
from router_extproc.signals.context_length import ContextLengthRange
from router_extproc.signals.keyword import KeywordMatcher


def test_keyword_any_all_regex_and_case(view) -> None:
    spec = KeywordSignal(name="code", any=["Python"], all=["stack", "trace"], regex=[r"\bdef\s+\w+\("])
    matcher = KeywordMatcher(spec)
    assert matcher.evaluate(view("I love PYTHON")).matched
    assert matcher.evaluate(view("here is a trace of the stack")).matched
    assert matcher.evaluate(view("def foo(x): pass")).matched
    miss = matcher.evaluate(view("a stack of pancakes"))
    assert not miss.matched and miss.score == 0.0
    sensitive = KeywordMatcher(KeywordSignal(name="s", any=["Python"], case_sensitive=True))
    assert not sensitive.evaluate(view("python")).matched


def test_keyword_scope_reads_the_whole_conversation_when_asked(view) -> None:
    v = view("write python please", "and now make it faster", system="you are terse")
    assert KeywordMatcher(KeywordSignal(name="a", any=["python"], scope="user")).evaluate(v).matched
    assert not KeywordMatcher(KeywordSignal(name="b", any=["python"], scope="last_user")).evaluate(v).matched
    assert KeywordMatcher(KeywordSignal(name="c", any=["terse"], scope="conversation")).evaluate(v).matched
    assert not KeywordMatcher(KeywordSignal(name="d", any=["terse"], scope="user")).evaluate(v).matched


def test_context_length_counts_tokens_with_the_tokenizer(view) -> None:
    short, long = view("hello world"), view("word " * 20_000)
    assert short.prompt_tokens == 2 + 4  # two word pieces + one message overhead
    assert 19_000 <= long.prompt_tokens <= 26_000  # exact to the 4096 cap, estimated beyond
    signal = ContextLengthRange(ContextLengthSignal(name="long", min_tokens=5000))
    assert not signal.evaluate(short).matched
    assert signal.evaluate(long).matched
    bounded = ContextLengthRange(ContextLengthSignal(name="mid", min_tokens=1, max_tokens=100))
    assert bounded.evaluate(short).matched and not bounded.evaluate(long).matched
