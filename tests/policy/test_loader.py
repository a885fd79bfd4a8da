from __future__ import annotations

import pathlib

import pytest
import yaml

from router_extproc.policy import PolicyError, load_policy, parse_policy
from tests.conftest import REPO

MINIMAL = {
    "name": "t",
    "default_model": "small",
    "models": {
        "small": {"provider_model_id": "s", "cost": {"input_per_1m": 0.1, "output_per_1m": 0.2}, "privacy": "local"},
        "big": {"provider_model_id": "b", "cost": {"input_per_1m": 1, "output_per_1m": 2}, "privacy": "external"},
    },
    "signals": {"keyword": [{"name": "code", "any": ["python"]}]},
    "decisions": [{"name": "code", "when": {"signal": "keyword:code"}, "model": "big"}],
}


def _with(**changes) -> str:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
    return yaml.safe_dump(data)


@pytest.mark.parametrize("path", sorted((REPO / "policies").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_policies_validate(path: pathlib.Path) -> None:
    assert load_policy(path).models


def test_minimal_policy_loads() -> None:
    policy = parse_policy(_with())
    assert policy.auto_model_names == ["auto"]
    assert policy.model_for_id("b") == "big"
    assert policy.model_for_id("big") == "big"
    assert policy.model_for_id("nope") is None


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"default_model": "missing"}, "default_model 'missing' is not one of models"),
        ({"default_model": "big"}, "must have privacy 'local'"),
        ({"models__small__privacy": "public"}, "models.small.privacy"),
        ({"models__small__cost__input_per_1m": -1}, "models.small.cost.input_per_1m"),
        ({"models__small__colour": "red"}, "models.small.colour"),
        ({"decisions__0__model": "ghost"}, "model 'ghost' is not one of models"),
        ({"decisions__0__when": {"signal": "keyword:nope"}}, "signal 'keyword:nope' is not defined"),
        ({"decisions__0__when": {"all": []}}, "need at least one rule"),
        ({"decisions__0__when": {"signal": "keyword:code", "not": {"signal": "keyword:code"}}}, "exactly one"),
        ({"signals__keyword__0__regex": ["(unclosed"]}, "is not valid RE2 syntax"),
        ({"signals__keyword__0__regex": ["(?<=a)b"]}, "no look-arounds"),
        ({"auto_model_names": ["small"]}, "clash with model names"),
    ],
)
def test_invalid_policies_name_the_problem(changes: dict, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(_with(**changes), "p.yaml")
    assert "p.yaml" in str(info.value)
    assert fragment in str(info.value)


def test_not_yaml_and_not_mapping() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("a: [", "p.yaml")
    with pytest.raises(PolicyError, match="must be a YAML mapping"):
        parse_policy("- 1", "p.yaml")


def test_missing_file() -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy("/nonexistent/policy.yaml")


def test_committed_json_schema_is_current() -> None:
    from router_extproc.policy.schema import policy_json_schema

    assert (REPO / "docs" / "policy.schema.json").read_text() == policy_json_schema(), (
        "docs/policy.schema.json is stale: run `router-extproc schema -o docs/policy.schema.json`"
    )


@pytest.mark.parametrize("path", sorted((REPO / "policies").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_policies_satisfy_the_json_schema(path: pathlib.Path) -> None:
    import json

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "docs" / "policy.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_validate_cli_exit_codes(tmp_path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text(_with(decisions__0__model="ghost"))
    ok = subprocess.run([sys.executable, "-m", "router_extproc", "validate", str(REPO / "policies" / "default.yaml")],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "ok" in ok.stdout
    failed = subprocess.run([sys.executable, "-m", "router_extproc", "validate", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "model 'ghost' is not one of models" in failed.stderr
