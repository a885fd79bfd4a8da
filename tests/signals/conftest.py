from __future__ import annotations

import json

import pytest

from router_extproc.endpoints import parse_request
from router_extproc.signals import default_artifacts
from router_extproc.signals.view import RequestView


@pytest.fixture(scope="session")
def models():
    return default_artifacts()


@pytest.fixture
def view(models):
    def make(*user_turns: str, system: str = "", messages: list | None = None) -> RequestView:
        msgs = messages or (([{"role": "system", "content": system}] if system else [])
                            + [{"role": "user", "content": t} for t in user_turns])
        request = parse_request("chat", json.dumps({"model": "auto", "messages": msgs}).encode())
        return RequestView(request, models.featurizer)

    return make
