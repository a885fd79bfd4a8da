"""eval on a cascade policy: every call is paid for, the predictive baseline is swept the same
way, and the curve metrics come with bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest

from router_extproc.decision.cascade import Stages
from router_extproc.evaluation import bootstrap
from router_extproc.evaluation.cascade_eval import recorded_answer, serve
from router_extproc.evaluation.dataset import Query, load_outcomes
from router_extproc.evaluation.runner import Evaluation
from router_extproc.policy import load_policy
from router_extproc.policy.spec import CascadeStrategy
from tests.conftest import REPO
from tests.evaluation.test_eval import DEV

PROMPT = "Q?\nA. x\nB. y\nC. z"
NAMES = {"c": "C8", "s": "S", "g": "G70"}


def _query(cheap: str | None, second: str | None) -> Query:
    return Query(PROMPT, {"C8": 1.0, "S": 0.0, "G70": 1.0}, {}, {"C8": cheap, "S": second, "G70": "A"})


def test_serve_replays_the_live_verdict_on_recorded_answers() -> None:
    strategy, stages = CascadeStrategy(threshold=0.5, difficulty_weight=1.0), Stages("c", "s", "g")
    assert serve(strategy, stages, 0.0, _query("A", "A"), NAMES).calls == ("c", "s")
    escalated = serve(strategy, stages, 0.0, _query("A", "B"), NAMES)
    assert (escalated.model, escalated.calls) == ("g", ("c", "s", "g"))
    assert serve(strategy, stages, 0.0, _query(None, "A"), NAMES).model == "g"  # no final answer: escalate
    assert serve(strategy, stages, -0.9, _query("A", "B"), NAMES).calls == ("c",)  # clear prompt: one call
    assert serve(strategy, stages, 0.9, _query("A", "A"), NAMES).calls == ("g",)  # hard prompt: strong alone
    assert recorded_answer(_query("A", "A"), "missing").text is None


def test_bootstrap_intervals_hold_the_point_estimate() -> None:
    rng = np.random.default_rng(1)
    weak, strong = (rng.random(400) < 0.45).astype(float), (rng.random(400) < 0.65).astype(float)
    shares = np.linspace(0, 1, 11)
    picks = rng.random((11, 400)) < shares[:, None]
    scores = np.where(picks, strong, weak)
    ci = bootstrap.intervals(scores, picks.astype(float), weak, strong, resamples=200)
    point = bootstrap.curve_metrics(picks.mean(1), scores.mean(1), weak.mean(), strong.mean())
    for key in ("apgr", "cpt50", "cpt80"):
        assert ci[key][0] <= point[key] <= ci[key][1]


@pytest.fixture(scope="module")
def report():
    if not DEV.exists():
        pytest.skip("shared data not available")
    policy = load_policy(REPO / "policies" / "cascade.yaml")
    return Evaluation(policy, load_outcomes(DEV, limit=300), progress=False).run(11, progress=False)


def test_a_cascade_pays_for_every_call(report) -> None:
    configured = report["configured"]
    # both cheap models answer every prompt that cascades; the strong one only when escalated
    assert configured["calls"]["llama-8b"] >= configured["calls"]["phi-3-mini"]
    assert configured["calls"]["llama-8b"] + configured["calls"].get("llama-70b", 0) >= report["queries"]
    assert configured["cost"] == pytest.approx(sum(configured["cost_by_model"].values()), rel=1e-4)
    assert configured["cost"] > report["singles"]["llama-8b"]["cost"]


def test_the_report_compares_with_predictive_routing_with_intervals(report) -> None:
    for key in ("apgr", "cpt50", "cpt80", "quality", "strong_share"):
        low, high = report["ci"][key]
        assert low <= high
    assert report["ci"]["apgr"][0] <= report["apgr"] <= report["ci"]["apgr"][1]
    assert "apgr" in report["baseline"] and report["baseline"]["frontier"]
    assert report["equal_cost"]["by_cost"]
