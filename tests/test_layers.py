"""Imports go one way: each package imports only from its own layer or the layers below.

The data path reads bottom-up: policy (what to do) -> endpoints (what the request is) ->
signals (what it says) -> decision (which model) -> routing (the plan) -> extproc (Envoy's
protocol) -> server (the process); tools (CLI, demo, evaluation, training, Envoy config)
sit on top. telemetry reads the request record and sits between routing and the adapter.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "router_extproc"
LAYERS = [
    {"errors", "headers", "deadline", "policy"},
    {"encoder", "pii"},
    {"endpoints"},
    {"signals"},
    {"decision"},
    {"telemetry"},
    {"cache"},
    {"routing"},
    {"extproc"},
    {"server"},
    {"envoy_config", "demo", "evaluation", "training", "classify", "cli", "__main__", "__init__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "router_extproc" and len(parts) > 1 else None


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "router_extproc"
                                     else [])
            found |= {t for n in names if (t := _top(n)) is not None}
        elif isinstance(node, ast.Import):
            found |= {t for a in node.names if (t := _top(a.name)) is not None}
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "pb" not in p.relative_to(PACKAGE).parts)


def test_every_top_level_module_has_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES}
    assert tops <= set(RANK), sorted(tops - set(RANK))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_layers(path: pathlib.Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    upward = sorted(t for t in _imports(path) if t in RANK and RANK[t] > RANK[own])
    assert not upward, f"{own} (layer {RANK[own]}) imports {upward} from above"
