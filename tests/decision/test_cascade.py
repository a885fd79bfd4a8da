"""The agreement cascade's pure decisions: final answers, agreement, rules and the verdict."""

from __future__ import annotations

import pytest
import yaml

from router_extproc.decision.agreement import Answer, agree, choices_in, confidence, final_answer, is_refusal
from router_extproc.decision.cascade import Stages, predicted, route, rule_hit, verdict
from router_extproc.policy import parse_policy
from router_extproc.policy.spec import CascadeStrategy
from tests.policy.test_loader import MINIMAL

QUESTION = "Which is prime?\nA. 4\nB. 6\nC. 7\nD. 9"


def test_choices_and_final_letters() -> None:
    assert choices_in(QUESTION) == "ABCD"
    assert choices_in("no options here") is None
    assert final_answer("Let me think. (B) looks wrong... the answer is (C).", "ABCD").value == "C"
    assert final_answer("C", "ABCD").value == "C"
    assert final_answer("The answer is (F).", "ABCD") is None  # not an option of this prompt
    assert final_answer("I am not sure.", "ABCD") is None


def test_numbers_and_free_text() -> None:
    assert final_answer("so #### 1,234").value == "1234"
    assert final_answer("\\boxed{42.0}").value == "42"
    assert agree(final_answer("The answer is 42"), final_answer("#### 42"))
    assert agree(final_answer("Paris is the capital of France."), final_answer("paris is the capital of france"))
    assert not agree(final_answer("Paris"), final_answer("Lyon is the capital"))


def test_refusals_and_confidence() -> None:
    assert is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("I cannot assist with this request")
    assert not is_refusal("I can help: the answer is (C).")
    assert confidence([0.0, 0.0]) == pytest.approx(1.0)
    assert confidence([-0.7, -0.7]) == pytest.approx(0.4966, abs=1e-3)
    assert confidence(None) is None


STRATEGY = CascadeStrategy(threshold=0.5, difficulty_weight=1.0, no_opinion=0.5)


@pytest.mark.parametrize(("cheap", "second", "escalate", "reason"), [
    ("The answer is (C).", "C", False, "agree"),
    ("The answer is (A).", "The answer is (C).", True, "disagree"),
    ("The answer is (A).", "I don't know", True, "no_opinion"),
    ("", "C", True, "empty"),
    ("I'm sorry, but I can't answer that.", "C", True, "refusal"),
    ("I think it might be prime", "C", True, "unanswered"),
])
def test_verdict(cheap: str, second: str, escalate: bool, reason: str) -> None:
    judged = verdict(STRATEGY, 0.0, Answer(cheap, "stop"), Answer(second, "stop"), "ABCD")
    assert (judged.escalate, judged.reason) == (escalate, reason)


def test_truncated_and_missing_answers_escalate() -> None:
    assert rule_hit(Answer("The answer is (C", "length"), "ABCD", STRATEGY.escalate_on) == "truncated"
    assert rule_hit(Answer(None), "ABCD", STRATEGY.escalate_on) == "error"
    assert rule_hit(Answer(None), "ABCD", ["empty"]) is None  # only the rules the policy lists


def test_low_token_confidence_counts_as_disagreement() -> None:
    strategy = STRATEGY.model_copy(update={"min_answer_confidence": 0.5})
    shaky = Answer("The answer is (C).", "stop", (-2.0, -1.5, -1.0))
    sure = Answer("The answer is (C).", "stop", (-0.01, -0.02))
    assert verdict(strategy, 0.0, shaky, Answer("C"), "ABCD").reason == "low_confidence"
    assert verdict(strategy, 0.0, sure, Answer("C"), "ABCD").reason == "agree"


def test_difficulty_decides_who_needs_a_second_opinion() -> None:
    stages = Stages("cheap", "second", "strong")
    assert route(STRATEGY, -0.6) == "cheap"  # even a disagreement could not reach the threshold
    assert route(STRATEGY, 0.6) == "strong"  # even agreement stays above it
    assert route(STRATEGY, 0.1) == "cascade"
    assert predicted(STRATEGY, stages, 0.1) == "strong"  # no_opinion 0.5 + 0.1 >= 0.5
    assert predicted(STRATEGY, stages, -0.1) == "cheap"
    # with agreeing answers, a harder prompt can still escalate
    assert verdict(STRATEGY, 0.45, Answer("C"), Answer("C"), "ABCD").escalate is False
    assert verdict(STRATEGY, 0.45, Answer("C"), Answer("B"), "ABCD").escalate is True


def _policy(decision: dict):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["models"]["mid"] = dict(data["models"]["small"], provider_model_id="m")
    data["decisions"] = [{"name": "d", "when": {"signal": "keyword:code"}} | decision]
    return parse_policy(yaml.safe_dump(data))


def test_cascade_needs_three_different_models() -> None:
    assert _policy({"models": ["small", "mid", "big"], "strategy": {"type": "cascade"}}).decisions[0].strategy.type \
        == "cascade"
    with pytest.raises(ValueError, match="cascade needs"):
        _policy({"models": ["small", "big"], "strategy": {"type": "cascade"}})
    with pytest.raises(ValueError, match="cascade needs"):
        _policy({"models": ["small", "small", "big"], "strategy": {"type": "cascade"}})
