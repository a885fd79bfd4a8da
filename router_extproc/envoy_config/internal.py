"""Envoy's internal listener: the router's own calls to models (a cascade's second opinion and
strong answer), on loopback, without ext_proc (a side call is never routed again, so it cannot
recurse). Routes match the router's ``x-selected-model`` and ``x-router-cascade`` headers; any
other request gets a 404. Clients cannot reach it (loopback), and the public listener strips both
headers from what clients send (``bootstrap.py``), so a client cannot pose as a side call.
"""

from __future__ import annotations

from typing import Any

from router_extproc import headers as H
from router_extproc.endpoints.paths import ROUTED, path_regex
from router_extproc.envoy_config.routes import LLM_ROUTE_TIMEOUT, _to_cluster
from router_extproc.policy import Policy
from router_extproc.routing.side_calls import CASCADE_HEADER

INTERNAL_HEADERS = (CASCADE_HEADER, H.ROUTER_FALLBACK)
"""Headers only the router may set: stripped from client requests at the public listener."""


def internal_listener(policy: Policy, address: dict[str, Any], tls_hosts: set[str], buffer_limit: int) -> dict[str, Any]:
    routed = path_regex(list(ROUTED.values()))
    routes: list[dict[str, Any]] = [
        {
            "name": f"side-{name}",
            "match": {"safe_regex": {"regex": routed}, "headers": [
                {"name": H.SELECTED_MODEL, "string_match": {"exact": name}},
                {"name": CASCADE_HEADER, "present_match": True}]},
            "route": _to_cluster(name, tls_hosts),
        }
        for name in policy.models
    ]
    routes.append({"name": "side-unknown", "match": {"prefix": "/"},
                   "direct_response": {"status": 404, "body": {"inline_string": "no such side call\n"}}})
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "internal",
        "codec_type": "AUTO",
        "stream_idle_timeout": LLM_ROUTE_TIMEOUT,
        "normalize_path": True,
        "route_config": {"name": "internal", "virtual_hosts": [{"name": "internal", "domains": ["*"], "routes": routes}]},
        "http_filters": [{"name": "envoy.filters.http.router",
                          "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
    }
    return {
        "name": "internal",
        "address": address,
        "per_connection_buffer_limit_bytes": buffer_limit,
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}],
    }
