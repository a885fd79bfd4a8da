"""The Envoy bootstrap rendered from a policy is valid for the real Envoy binary."""

from __future__ import annotations

import pathlib
import re
import subprocess

import pytest
import yaml

from router_extproc.demo.stack import envoy_binary
from router_extproc.endpoints.paths import CANONICAL_REWRITE, ROUTED, path_regex
from router_extproc.envoy_config.bootstrap import (
    EnvoyOptions,
    EnvoyPorts,
    buffer_limit_for,
    cluster_name,
    render_bootstrap,
    render_bootstrap_yaml,
)
from router_extproc.policy import load_policy
from tests.conftest import REPO


def _validate(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(path), "--disable-hot-restart"],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("policy_path", sorted((REPO / "policies").glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("fail_open", [True, False])
def test_rendered_config_validates(policy_path: pathlib.Path, fail_open: bool, tmp_path: pathlib.Path) -> None:
    policy = load_policy(policy_path)
    path = tmp_path / "envoy.yaml"
    path.write_text(render_bootstrap_yaml(policy, EnvoyPorts(), failure_mode_allow=fail_open))
    result = _validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_envoy_yaml_is_the_rendered_default_policy() -> None:
    rendered = render_bootstrap_yaml(load_policy(REPO / "policies" / "default.yaml"), EnvoyPorts())
    assert (REPO / "envoy" / "envoy.yaml").read_text() == rendered, (
        "envoy/envoy.yaml is stale: run `router-extproc render-envoy -o envoy/envoy.yaml`"
    )


def _hcm(config: dict) -> dict:
    return config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]


def test_routes_clusters_and_guards() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    config = render_bootstrap(policy, EnvoyPorts(), EnvoyOptions(failure_mode_allow=True, message_timeout="2s"))
    hcm = _hcm(config)
    routes = {r["name"]: r for r in hcm["route_config"]["virtual_hosts"][0]["routes"]}
    by_model = {n.removeprefix("model-"): r for n, r in routes.items() if n.startswith("model-")}
    assert set(by_model) == set(policy.models)
    for name, route in by_model.items():
        assert route["match"]["headers"] == [{"name": "x-selected-model", "string_match": {"exact": name}}]
        assert route["route"]["cluster"] == cluster_name(name)
    default = routes["routed-default"]
    assert default["route"]["cluster"] == cluster_name(policy.default_model)
    assert policy.models[policy.default_model].privacy == "local"
    assert default["match"]["headers"] == [{"name": ":method", "string_match": {"exact": "POST"}}]
    body_mode = default["typed_per_filter_config"]["envoy.filters.http.ext_proc"]["overrides"]["processing_mode"]
    assert body_mode["request_body_mode"] == "BUFFERED" and body_mode["response_header_mode"] == "SKIP"
    assert routes["pass-through:GET /v1/models"]["route"]["cluster"] == cluster_name(policy.default_model)
    for refusal, status in (("routed-wrong-method", 405), ("unknown-path", 404)):
        assert routes[refusal]["direct_response"]["status"] == status
        assert routes[refusal]["typed_per_filter_config"]["envoy.filters.http.ext_proc"]["disabled"] is True
    assert list(routes)[-1] == "unknown-path"  # the catch-all comes last
    assert hcm["early_header_mutation_extensions"][0]["typed_config"]["mutations"] == [
        {"remove": "x-selected-model"}, {"remove": "x-router-cascade"}, {"remove": "x-router-fallback"}]
    ext_proc = hcm["http_filters"][0]["typed_config"]
    assert ext_proc["failure_mode_allow"] is True and ext_proc["message_timeout"] == "2s"
    assert ext_proc["processing_mode"]["response_header_mode"] == "SKIP"  # local replies never wait on the router
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    assert "http2_protocol_options" in yaml.safe_dump(clusters["router_extproc"])
    assert {cluster_name(m) for m in policy.models} <= set(clusters)


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/v1/chat/completions", "/v1/chat/completions"),
        ("/v1/chat/completions/", "/v1/chat/completions"),
        ("/chat/completions", "/v1/chat/completions"),
        ("/completions/", "/v1/completions"),
        ("/v1/models", None),
        ("/v1/chat/completions/x", None),
        ("/v2/chat/completions", None),
        ("/v1/chat/completionsx", None),
    ],
)
def test_routed_path_pattern_and_its_rewrite(path: str, canonical: str | None) -> None:
    pattern = re.compile(path_regex(list(ROUTED.values())))
    match = pattern.fullmatch(path)
    assert (match is not None) == (canonical is not None)
    if match:
        assert pattern.sub(CANONICAL_REWRITE, path) == canonical


def test_paths_are_normalised_and_resources_bounded() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    config = render_bootstrap(policy, EnvoyPorts())
    hcm = _hcm(config)
    assert hcm["normalize_path"] is True and hcm["merge_slashes"] is True
    assert hcm["path_with_escaped_slashes_action"] == "UNESCAPE_AND_FORWARD"
    assert hcm["use_remote_address"] is True  # Envoy's own request id; client x-envoy-* headers dropped
    listener = config["static_resources"]["listeners"][0]
    assert listener["per_connection_buffer_limit_bytes"] == buffer_limit_for(policy) < 16 * 1024 * 1024
    assert buffer_limit_for(policy) > policy.limits.max_body_bytes  # the router, not Envoy, answers just-over bodies
    overload = config["overload_manager"]
    monitors = {m["name"]: m["typed_config"] for m in overload["resource_monitors"]}
    assert monitors["envoy.resource_monitors.fixed_heap"]["max_heap_size_bytes"] == EnvoyOptions().max_heap_bytes
    assert monitors["envoy.resource_monitors.global_downstream_max_connections"]["max_active_downstream_connections"]
    assert "envoy.overload_actions.stop_accepting_requests" in {a["name"] for a in overload["actions"]}


def test_unix_socket_router_address() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    config = render_bootstrap(policy, EnvoyPorts(router_unix_socket="/run/router/extproc.sock"))
    router = config["static_resources"]["clusters"][0]
    endpoint = router["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"] == {"pipe": {"path": "/run/router/extproc.sock"}}


def test_internal_listener_and_fallback_chains_are_rendered_from_the_policy() -> None:
    from router_extproc.envoy_config.bootstrap import EnvoyPorts, render_bootstrap
    from router_extproc.policy import load_policy

    policy = load_policy(REPO / "policies" / "cascade.yaml")
    plain = render_bootstrap(policy, EnvoyPorts())
    assert [listener["name"] for listener in plain["static_resources"]["listeners"]] == ["llm"]
    config = render_bootstrap(policy, EnvoyPorts(internal=9090))
    listeners = {listener["name"]: listener for listener in config["static_resources"]["listeners"]}
    internal = listeners["internal"]
    assert internal["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 9090}
    hcm = internal["filter_chains"][0]["filters"][0]["typed_config"]
    assert [f["name"] for f in hcm["http_filters"]] == ["envoy.filters.http.router"]  # no ext_proc: no recursion
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    chain = clusters["chain_cascade_llama-8b"]
    assert [e["priority"] for e in chain["load_assignment"]["endpoints"]] == [0, 1]
    public = listeners["llm"]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = {r["name"]: r for r in public["route_config"]["virtual_hosts"][0]["routes"]}
    retry = routes["fallback-cascade/llama-8b"]["route"]["retry_policy"]
    assert retry["num_retries"] == 1 and retry["retriable_status_codes"] == [429]
    ext_proc = next(f for f in public["http_filters"] if f["name"] == "envoy.filters.http.ext_proc")
    assert ext_proc["typed_config"]["max_message_timeout"] == "300s"
