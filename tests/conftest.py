from __future__ import annotations

import pathlib

import pytest

from router_extproc.policy import load_policy
from router_extproc.routing.router import Router

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_POLICY = REPO / "policies" / "default.yaml"


@pytest.fixture(scope="session")
def default_policy_path() -> pathlib.Path:
    return DEFAULT_POLICY


@pytest.fixture(scope="session")
def default_router() -> Router:
    return Router(load_policy(DEFAULT_POLICY))
