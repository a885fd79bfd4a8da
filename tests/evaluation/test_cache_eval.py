"""``eval-cache`` on small fixtures: the labelled pairs it builds, their scores, calibration and
the report; and the pair builders' own rules."""

from __future__ import annotations

import gzip
import json
import pathlib
import random

import pytest

from router_extproc.cli import main
from router_extproc.evaluation.cache_eval import PairScorer, Setting, calibrate, evaluate, markdown, report
from router_extproc.evaluation.cache_pairs import (
    LabelledPair,
    change_number,
    chat_pairs,
    loose,
    mmlu_pairs,
    mmlu_prompt,
    rephrase,
)

QUESTIONS = [
    {"question": "What is the boiling point of water at sea level in degrees Celsius?",
     "options": ["90", "100", "110", "120"]},
    {"question": "Which planet is known as the red planet?", "options": ["Venus", "Mars", "Jupiter", "Saturn"]},
    {"question": "Who wrote the play Hamlet?", "options": ["Marlowe", "Shakespeare", "Jonson", "Kyd"]},
    {"question": "How many sides does a hexagon have if 2 are removed?", "options": ["4", "6", "8", "2"]},
]
FIRSTS = ["Explain quantum computing in simple terms", "explain quantum computing in simple terms!",
          "Write a poem about the sea", "Write a poem about the 3 seas", "How do I bake bread at home?"]


def conversations() -> list[dict]:
    return [{"id": str(i), "suspect": False, "turns": [{"role": "user", "text": t}, {"role": "assistant", "text": "ok"}]}
            for i, t in enumerate(FIRSTS)]


@pytest.fixture(scope="module")
def scorer() -> PairScorer:
    return PairScorer()


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "mmlu_pro_routing").mkdir()
    (tmp_path / "chat").mkdir()
    with gzip.open(tmp_path / "mmlu_pro_routing" / "dev.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(q) + "\n" for q in QUESTIONS)
    with gzip.open(tmp_path / "chat" / "sharegpt_dev.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(c) + "\n" for c in conversations())
    return tmp_path


def test_pairs_are_labelled_by_what_changes_the_answer(scorer: PairScorer) -> None:
    pairs = mmlu_pairs(QUESTIONS, scorer.embed) + chat_pairs(conversations(), scorer.embed)
    kinds = {p.kind for p in pairs}
    assert {"mmlu:options-swapped", "mmlu:number-changed", "mmlu:rephrased", "mmlu:neighbour", "chat:repeat",
            "chat:rephrased", "chat:number-changed", "chat:neighbour"} <= kinds
    for pair in pairs:
        if pair.kind == "chat:repeat":
            assert loose(pair.a) == loose(pair.b) and pair.same
        if pair.kind.endswith("number-changed"):
            assert not pair.same and pair.a != pair.b


def test_the_builders_rules() -> None:
    rng = random.Random(0)
    assert change_number("no digits here", rng) is None
    changed = change_number("add 2.5 and 3", rng)
    assert changed is not None and changed != "add 2.5 and 3"
    assert loose(rephrase("What is the capital of France?", rng)) != ""
    assert mmlu_prompt("Q?", ["x", "y"]) == "Q?\nA. x\nB. y"


def test_scores_hits_and_calibration(scorer: PairScorer) -> None:
    same = scorer.score(LabelledPair("chat:rephrased", True, "What is the capital of France?",
                                     "what's the capital of France??"))
    different = scorer.score(LabelledPair("chat:number-changed", False, "Add 2 and 3", "Add 2 and 4"))
    exact = scorer.score(LabelledPair("chat:repeat", True, "hello", "hello"))
    shipped = Setting(0.8, 2, 0.08)
    assert shipped.hit(same) and not shipped.hit(different) and shipped.hit(exact)
    chosen = calibrate([same, different, exact], 0.0)
    assert chosen.hit(same) and not chosen.hit(different)
    result = report([same, different, exact], "dev", shipped)
    assert result.false_hit_rate == 0 and result.hit_rate == 1
    assert "false-hit rate **0.000%**" in markdown(result)
    with pytest.raises(ValueError):
        calibrate([scorer.score(LabelledPair("chat:neighbour", False, "hello", "hello"))], 0.0)


def test_eval_cache_end_to_end_on_fixtures(data_dir: pathlib.Path, tmp_path: pathlib.Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    result = evaluate(data_dir, "dev", None, None, 0.5, show=1)
    assert result.different > 0 and result.same > 0
    out = tmp_path / "report.json"
    assert main(["eval-cache", "--data", str(data_dir), "--split", "dev", "--json", str(out)]) == 0
    report_json = json.loads(out.read_text())
    assert report_json["setting"] == {"threshold": 0.8, "max_edits": 2, "max_novelty": 0.08}
    assert 0 <= report_json["false_hit_rate"] <= 1 and "Semantic cache on labelled pairs" in capsys.readouterr().out
