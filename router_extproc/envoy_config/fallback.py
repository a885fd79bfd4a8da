"""Fallback chains in Envoy: retries that move to the decision's next model on upstream failure.

One cluster per chain (``decision/fallback.py``): its models' endpoints at priorities 0, 1, ...
A route per chain matches the router's ``x-selected-model`` and ``x-router-fallback`` and retries
(connect failure, reset, 5xx, the policy's retriable codes such as 429) with Envoy's
``previous_priorities`` retry plugin, so attempt N goes to the chain's N-th model; Envoy keeps its
load balancing, timeouts, retry budget and stats. The next model needs its own provider id in the
body (real servers 404 an unknown id): an upstream ext_proc filter on the chain cluster asks the
router (``extproc/upstream_processor.py``) to rewrite the body's model for attempts after the
first, from ``x-envoy-attempt-count``. The router names a chain only when every model on it may
receive the request, so a private request never falls back to an external model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router_extproc import headers as H
from router_extproc.decision.fallback import Chain, chains
from router_extproc.endpoints.paths import CANONICAL_REWRITE, ROUTED, path_regex
from router_extproc.envoy_config.routes import EXT_PROC_FILTER, LLM_ROUTE_TIMEOUT
from router_extproc.policy import Policy

UPSTREAM_STAGE = ("x-router-stage", "upstream")
"""gRPC metadata of the upstream filter's ext_proc streams: the router answers them with the body rewrite."""
UPSTREAM_MODE = {
    "request_header_mode": "SEND",
    "response_header_mode": "SKIP",
    "request_body_mode": "BUFFERED",
    "response_body_mode": "NONE",
    "request_trailer_mode": "SKIP",
    "response_trailer_mode": "SKIP",
}


def chain_cluster_name(chain: Chain) -> str:
    return "chain_" + chain.id.replace("/", "_")


def _retry_policy(policy: Policy, chain: Chain) -> dict[str, Any]:
    decision = next(d for d in policy.decisions if d.name == chain.decision)
    fallback = decision.fallback
    assert fallback is not None
    retry: dict[str, Any] = {
        "retry_on": ",".join(fallback.retry_on),
        "num_retries": len(chain.models) - 1,
        "retry_priority": {
            "name": "envoy.retry_priorities.previous_priorities",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
                "update_frequency": 1,
            },
        },
        "retry_back_off": {"base_interval": f"{fallback.back_off_ms / 1000:g}s",
                           "max_interval": f"{fallback.back_off_ms * 10 / 1000:g}s"},
    }
    if fallback.status_codes:
        retry["retriable_status_codes"] = list(fallback.status_codes)
    return retry


def fallback_routes(policy: Policy) -> list[dict[str, Any]]:
    """Routes for the router's chains (before the per-model routes: both match the model header)."""
    routed = path_regex(list(ROUTED.values()))
    return [
        {
            "name": f"fallback-{chain.id}",
            "match": {"safe_regex": {"regex": routed}, "headers": [
                {"name": H.SELECTED_MODEL, "string_match": {"exact": chain.models[0]}},
                {"name": H.ROUTER_FALLBACK, "string_match": {"exact": chain.id}}]},
            "route": {
                "cluster": chain_cluster_name(chain),
                "timeout": LLM_ROUTE_TIMEOUT,
                "regex_rewrite": {"pattern": {"regex": "^(?:/v1)?/(.*?)/?$"}, "substitution": CANONICAL_REWRITE},
                "retry_policy": _retry_policy(policy, chain),
            },
        }
        for chain in chains(policy)
    ]


def fallback_clusters(policy: Policy, endpoints: Mapping[str, tuple[str, int, bool]], buffer_limit: int,
                      grpc_cluster: str, message_timeout: str) -> list[dict[str, Any]]:
    """One cluster per chain: its models at rising priorities, with the body-rewriting upstream filter."""
    out = []
    for chain in chains(policy):
        if any(endpoints[m][2] for m in chain.models):
            raise ValueError(f"fallback chain {chain.id}: TLS upstreams are not supported in fallback chains")
        name = chain_cluster_name(chain)
        hosts = [endpoints[m] for m in chain.models]
        is_ip = all(h.replace(".", "").isdigit() or ":" in h for h, _, _ in hosts)
        out.append({
            "name": name,
            "type": "STATIC" if is_ip else "STRICT_DNS",
            "connect_timeout": "2s",
            "per_connection_buffer_limit_bytes": buffer_limit,
            "load_assignment": {"cluster_name": name, "endpoints": [
                {"priority": i, "lb_endpoints": [{"endpoint": {"address": {
                    "socket_address": {"address": host, "port_value": port}}}}]}
                for i, (host, port, _) in enumerate(hosts)]},
            "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http_protocol_options": {}},
                "http_filters": [
                    {"name": EXT_PROC_FILTER, "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
                        "grpc_service": {"envoy_grpc": {"cluster_name": grpc_cluster},
                                         "initial_metadata": [{"key": UPSTREAM_STAGE[0], "value": UPSTREAM_STAGE[1]}]},
                        "failure_mode_allow": False,
                        "message_timeout": message_timeout,
                        "allow_mode_override": True,
                        "processing_mode": UPSTREAM_MODE,
                    }},
                    {"name": "envoy.filters.http.upstream_codec", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec"}},
                ],
            }},
        })
    return out
