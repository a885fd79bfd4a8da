"""Session affinity's rules, on the default policy's router: a kept model, the margin that
lets a turn change tier, closures that force a change, explicit models untouched."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from router_extproc.cache.store import GuardedStore, MemoryStore
from router_extproc.decision.engine import RouteChoice
from router_extproc.endpoints import Message, ParsedRequest
from router_extproc.policy import parse_policy
from router_extproc.policy.cache_spec import AffinitySpec
from router_extproc.routing.affinity import Affinity, session_key
from router_extproc.routing.router import RouteOutcome, Router
from router_extproc.signals.base import SignalResult

DEFAULT = pathlib.Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
HEADERS = {"authorization": "Bearer a", "x-session-id": "s1"}


@pytest.fixture(scope="module")
def router() -> Router:
    document = yaml.safe_load(DEFAULT.read_text())
    document["affinity"] = {"margin": 0.2}
    return Router(parse_policy(yaml.safe_dump(document), "affinity"))


def request(model: str = "auto") -> ParsedRequest:
    return ParsedRequest("chat", model, False, [Message("user", "hello")], {"model": model})


def outcome(router: Router, model: str, difficulty: float | None, decision: str = "hard-reasoning") -> RouteOutcome:
    signals = {} if difficulty is None else {"difficulty": SignalResult("difficulty", difficulty >= 0.15, difficulty)}
    pii = SignalResult("pii", False)
    return RouteOutcome(RouteChoice(decision, model, "rule"), router.policy.models[model], signals, pii)


def affinity(router: Router) -> Affinity:
    assert router.policy.affinity is not None
    return Affinity(router.policy.affinity, router, GuardedStore(MemoryStore()))


def test_a_turn_keeps_the_conversations_model_unless_the_margin_is_cleared(router: Router) -> None:
    sticky = affinity(router)
    assert sticky.apply(request(), outcome(router, "small", 0.0), HEADERS).choice.model == "small"
    kept = sticky.apply(request(), outcome(router, "frontier", 0.3), HEADERS)  # 0.3 < 0.15 + 0.2
    assert (kept.choice.model, kept.choice.reason) == ("small", "session")
    assert sticky.apply(request(), outcome(router, "frontier", None), HEADERS).choice.model == "small"
    moved = sticky.apply(request(), outcome(router, "frontier", 0.4), HEADERS)  # clears the margin: pricier tier
    assert (moved.choice.model, moved.choice.reason) == ("frontier", "rule")
    down = sticky.apply(request(), outcome(router, "small", 0.0), HEADERS)  # 0.0 > 0.15 - 0.2: stays
    assert down.choice.model == "frontier"
    cheaper = sticky.apply(request(), outcome(router, "small", -0.1), HEADERS)  # clears it downwards
    assert cheaper.choice.model == "small"


def test_closures_and_explicit_models_win(router: Router) -> None:
    sticky = affinity(router)
    sticky.apply(request(), outcome(router, "frontier", 0.9), HEADERS)
    private = outcome(router, "large", 0.0, "private-data")
    card = SignalResult("pii", True, labels=frozenset({"CREDIT_CARD"}))
    private = RouteOutcome(private.choice, private.model, private.signals, card)
    assert sticky.apply(request(), private, HEADERS).choice.model == "large"  # frontier is external
    assert sticky.apply(request("qwen3-8b"), outcome(router, "small", 0.0), HEADERS).choice.model == "small"
    assert sticky.apply(request(), outcome(router, "small", 0.0), HEADERS).choice.model == "large"  # still kept


def test_conversations_are_named_by_header_else_by_their_first_messages() -> None:
    spec = AffinitySpec()
    first = ParsedRequest("chat", "auto", False, [Message("system", "Be brief."), Message("user", "hi")], {})
    later = ParsedRequest("chat", "auto", False, [Message("system", "Be brief."), Message("user", "hi"),
                                                  Message("assistant", "hello"), Message("user", "more")], {})
    other = ParsedRequest("chat", "auto", False, [Message("system", "Be long."), Message("user", "hi")], {})
    assert session_key(spec, "t", first, {}) == session_key(spec, "t", later, {})
    assert session_key(spec, "t", first, {}) != session_key(spec, "t", other, {})
    assert session_key(spec, "t", first, {}) != session_key(spec, "u", first, {})
    assert session_key(spec, "t", first, {"x-session-id": "a"}) != session_key(spec, "t", later, {"x-session-id": "b"})
