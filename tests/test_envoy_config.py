"""The Envoy bootstrap rendered from a policy is valid for the real Envoy binary."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
import yaml

from router_extproc.envoy_config import EnvoyOptions, EnvoyPorts, cluster_name, render_bootstrap, render_bootstrap_yaml
from router_extproc.demo.stack import envoy_binary
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


def test_routes_clusters_and_guards() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    config = render_bootstrap(policy, EnvoyPorts(), EnvoyOptions(failure_mode_allow=True, message_timeout="2s"))
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
    by_model = {r["match"]["headers"][0]["string_match"]["exact"]: r for r in routes if "headers" in r["match"]}
    assert set(by_model) == set(policy.models)
    assert routes[-1]["route"]["cluster"] == cluster_name(policy.default_model)
    assert policy.models[policy.default_model].privacy == "local"
    assert hcm["early_header_mutation_extensions"][0]["typed_config"]["mutations"] == [{"remove": "x-selected-model"}]
    ext_proc = hcm["http_filters"][0]["typed_config"]
    assert ext_proc["failure_mode_allow"] is True and ext_proc["message_timeout"] == "2s"
    assert ext_proc["processing_mode"]["request_body_mode"] == "BUFFERED"
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    assert "http2_protocol_options" in yaml.safe_dump(clusters["router_extproc"])
    assert {cluster_name(m) for m in policy.models} <= set(clusters)


def test_unix_socket_router_address() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    config = render_bootstrap(policy, EnvoyPorts(router_unix_socket="/run/router/extproc.sock"))
    router = config["static_resources"]["clusters"][0]
    endpoint = router["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"] == {"pipe": {"path": "/run/router/extproc.sock"}}
