"""eval / calibrate on a small outcome file: the server's decision code, the metrics, the files."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from router_extproc.evaluation.calibrate import choose, write_threshold
from router_extproc.evaluation.dataset import load_outcomes
from router_extproc.evaluation.metrics import apgr, cpt, pair_curve
from router_extproc.evaluation.runner import Evaluation
from router_extproc.policy import load_policy
from tests.conftest import REPO

DEV = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "mmlu_pro_routing" / "dev.jsonl.gz"


def test_worked_example_from_the_docs() -> None:
    strong = np.array([1, 1, 1, 0])
    weak = np.array([1, 1, 0, 0])
    curve = pair_curve(np.array([0.2, 0.1, 0.9, 0.5]), strong, weak)
    assert apgr(curve) == pytest.approx(0.875)
    assert cpt(curve, 0.5) == 0.25  # the grid point; eval interpolates to 0.125


@pytest.fixture(scope="module")
def small_outcomes(tmp_path_factory) -> pathlib.Path:
    if not DEV.exists():
        pytest.skip("shared data not available")
    path = tmp_path_factory.mktemp("data") / "outcomes.jsonl"
    queries = load_outcomes(DEV, limit=300)
    path.write_text("".join(json.dumps({"prompt": q.prompt, "correct": q.score,
                                        "output_tokens": q.output_tokens}) + "\n" for q in queries))
    return path


def test_eval_report_and_files(small_outcomes, tmp_path) -> None:
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "router_extproc", "eval", "--policy",
                           str(REPO / "policies" / "strong-weak.yaml"), "--data", str(small_outcomes), "--json",
                           "--quiet", "--points", "21", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for key in ("apgr", "cpt50", "cpt80", "oracle", "random", "quality", "cost", "frontier"):
        assert key in report
    assert 0.0 <= report["cpt50"] <= report["cpt80"] <= 1.0
    assert report["random"]["apgr"] == 0.5
    assert report["oracle"]["quality"] >= max(p["quality"] for p in report["singles"].values())
    shares = [p["strong_share"] for p in report["frontier"]]
    assert min(shares) == 0.0 and max(shares) > 0.9  # the sweep spans the whole range
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "frontier.png"}
    assert (out / "frontier.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_uses_the_same_decision_code(small_outcomes) -> None:
    policy = load_policy(REPO / "policies" / "strong-weak.yaml")
    evaluation = Evaluation(policy, load_outcomes(small_outcomes), progress=False)
    choices = evaluation.route_all(policy)
    threshold = policy.decisions[0].strategy.threshold
    expected = ["strong" if r["difficulty"].score >= threshold else "weak" for r in evaluation.results]
    assert choices == expected


def test_calibrate_writes_the_threshold_keeping_comments(small_outcomes, tmp_path) -> None:
    policy_path = tmp_path / "policy.yaml"
    policy_path.write_text((REPO / "policies" / "strong-weak.yaml").read_text())
    proc = subprocess.run([sys.executable, "-m", "router_extproc", "calibrate", "--policy", str(policy_path),
                           "--data", str(small_outcomes), "--strong-share", "0.3", "--write", "--quiet",
                           "--points", "21"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = policy_path.read_text()
    assert text.startswith("# The RouteLLM reference pair")  # comments kept
    written = load_policy(policy_path).decisions[0].strategy.threshold
    assert f"strategy: {{type: strong_weak, threshold: {written:g}"[:44] in text
    original = (REPO / "policies" / "strong-weak.yaml").read_text().splitlines()
    changed = [a for a, b in zip(original, text.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and "strategy:" in changed[0]


def test_choose_targets() -> None:
    report = {"frontier": [{"threshold": t, "strong_share": s, "quality": q, "cost": c}
                           for t, s, q, c in [(0.9, 0.1, 0.5, 1.0), (0.5, 0.4, 0.6, 2.0), (0.1, 0.8, 0.7, 3.0)]]}
    assert choose(report, 0.5, None, None)["threshold"] == 0.5
    assert choose(report, None, 3.0, None)["threshold"] == 0.1
    assert choose(report, None, None, 0.55)["threshold"] == 0.5
    with pytest.raises(ValueError):
        choose(report, None, None, 0.99)


def test_write_threshold_in_flow_and_block_strategies(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("decisions:\n  - name: a  # first\n    strategy: {type: x, quality_threshold: 0.1}\n"
                    "  - name: b\n    strategy:  # typed\n      type: cheapest_capable\n    model: y\n")
    write_threshold(path, "a", "quality_threshold", 0.5)
    write_threshold(path, "b", "quality_threshold", 0.7)
    assert path.read_text() == ("decisions:\n  - name: a  # first\n    strategy: {type: x, quality_threshold: 0.5}\n"
                                "  - name: b\n    strategy:  # typed\n      quality_threshold: 0.7\n"
                                "      type: cheapest_capable\n    model: y\n")
    with pytest.raises(ValueError, match="no 'strategy'"):
        path.write_text("decisions:\n  - name: c\n    model: z\n")
        write_threshold(path, "c", "quality_threshold", 0.7)
