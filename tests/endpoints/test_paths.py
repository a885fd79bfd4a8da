"""The path table: what the router routes, passes through or refuses (Envoy's routes are
rendered from the same table: tests/test_envoy_config.py)."""

from __future__ import annotations

import pytest

from router_extproc.endpoints.paths import endpoint_for, is_routed_path, passes_through
from router_extproc.policy import load_policy
from router_extproc.telemetry.record import safe_request_id
from tests.conftest import DEFAULT_POLICY


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "pass_through", "routed_path"),
    [
        ("POST", "/v1/chat/completions", "chat", False, True),
        ("POST", "/chat/completions/?x=1", "chat", False, True),
        ("POST", "/completions", "completions", False, True),
        ("GET", "/v1/chat/completions", None, False, True),
        ("GET", "/models", None, True, False),
        ("POST", "/v1/models", None, False, False),
        ("POST", "/v1/chat/completions//", None, False, False),  # Envoy merges slashes before this
        ("POST", "/v1/embeddings", None, False, False),
    ],
)
def test_path_table(method, path, endpoint, pass_through, routed_path) -> None:
    assert endpoint_for(method, path) == endpoint
    assert passes_through(method, path) is pass_through
    assert is_routed_path(path) is routed_path


def test_the_default_model_serves_the_auto_names() -> None:
    policy = load_policy(DEFAULT_POLICY)
    assert policy.served_ids("small") == {"qwen3-8b", "auto"}
    assert policy.served_ids("frontier") == {"gpt-5"}


@pytest.mark.parametrize(("value", "logged"), [
    ("3f2a9c1e-7d4b-4e8a-9b0c-1d2e3f4a5b6c", "3f2a9c1e-7d4b-4e8a-9b0c-1d2e3f4a5b6c"),
    ("A" * 129, "invalid"), ("id with spaces", "invalid"), ("jane@example.com", "invalid"), (None, "-"),
])
def test_request_ids_are_logged_only_when_short_and_plain(value, logged) -> None:
    assert safe_request_id(value) == logged
