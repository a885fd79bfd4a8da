"""Envoy's route table, rendered from the policy and the path table (``paths.py``).

A model cluster is reachable on exactly two kinds of route: the router chose it (the request
carries the router's ``x-selected-model``; a client's own copy is stripped before routing),
or the path is one the router routes or passes through and Envoy uses the default (local)
model, which is where a request lands when the router fails open. Every other path gets an
OpenAI-shaped 404 (405 for a routed path with another method) from Envoy itself, with
ext_proc switched off for it: no model and no router is involved.

ext_proc's filter-wide processing mode sends only request headers; the routed paths switch
on the body and the response headers per route. So a local reply Envoy makes before any
route (a malformed request: 400, 431) never waits on the router.
"""

from __future__ import annotations

from typing import Any

from router_extproc import headers as H
from router_extproc.endpoints.error_shapes import OpenAIErrors
from router_extproc.endpoints.paths import (
    CANONICAL_REWRITE,
    PASS_THROUGH,
    ROUTED,
    method_not_allowed,
    path_regex,
    unknown_url,
)
from router_extproc.errors import RequestError
from router_extproc.policy import Policy

EXT_PROC_FILTER = "envoy.filters.http.ext_proc"
LLM_ROUTE_TIMEOUT = "300s"
"""Generations are slow: Envoy's default 15 s route timeout would cut long answers."""
_EXT_PROC_PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute"

FILTER_MODE = {
    "request_header_mode": "SEND",
    "response_header_mode": "SKIP",
    "request_body_mode": "NONE",
    "response_body_mode": "NONE",
    "request_trailer_mode": "SKIP",
    "response_trailer_mode": "SKIP",
}
"""The filter-wide mode: request headers only (a pass-through path needs nothing more)."""
ROUTED_MODE = FILTER_MODE | {"request_body_mode": "BUFFERED"}
"""Routed paths: the whole body before the upstream is chosen. The router asks for the
response headers itself (``mode_override`` in its answer to the request headers), so a local
reply Envoy sends before the router has answered (a malformed body) does not wait on it."""


def cluster_name(model: str) -> str:
    return f"model_{model}"


def _match(regex: str, method: str | None = None, selected_model: str | None = None) -> dict[str, Any]:
    headers = []
    if method is not None:
        headers.append({"name": H.METHOD, "string_match": {"exact": method}})
    if selected_model is not None:
        headers.append({"name": H.SELECTED_MODEL, "string_match": {"exact": selected_model}})
    match: dict[str, Any] = {"safe_regex": {"regex": regex}}
    if headers:
        match["headers"] = headers
    return match


def _to_cluster(name: str, tls_hosts: set[str]) -> dict[str, Any]:
    """Forward to the model's cluster on the canonical path (the query string is kept)."""
    action: dict[str, Any] = {
        "cluster": cluster_name(name),
        "timeout": LLM_ROUTE_TIMEOUT,
        "regex_rewrite": {"pattern": {"regex": "^(?:/v1)?/(.*?)/?$"}, "substitution": CANONICAL_REWRITE},
    }
    if name in tls_hosts:
        action["auto_host_rewrite"] = True
    return action


def _ext_proc(config: dict[str, Any]) -> dict[str, Any]:
    return {EXT_PROC_FILTER: {"@type": _EXT_PROC_PER_ROUTE, **config}}


def _refusal(name: str, error: RequestError, regex: str | None = None) -> dict[str, Any]:
    """Envoy answers the router's own error for this path (same status, code and message)."""
    return {
        "name": name,
        "match": {"safe_regex": {"regex": regex}} if regex else {"prefix": "/"},
        "direct_response": {"status": error.status, "body": {"inline_string": OpenAIErrors().render(error, False)[0].decode()}},
        "typed_per_filter_config": _ext_proc({"disabled": True}),
    }


def render_routes(policy: Policy, tls_hosts: set[str]) -> list[dict[str, Any]]:
    """Routes in match order: the router's choice per model, the default model for routed and
    pass-through paths, then refusals. ``tls_hosts``: models whose upstream needs its own
    Host header (TLS with SNI)."""
    routed = path_regex(list(ROUTED.values()))
    routes: list[dict[str, Any]] = [
        {
            "name": f"model-{name}",
            "match": _match(routed, selected_model=name),
            "route": _to_cluster(name, tls_hosts),
        }
        for name in policy.models
    ]
    default = policy.default_model
    routes.append(
        {
            # The router answers every request here before it goes anywhere; only when it
            # fails open does the request stay on this route: the local default model.
            "name": "routed-default",
            "match": _match(routed, method="POST"),
            "route": _to_cluster(default, tls_hosts),
            "typed_per_filter_config": _ext_proc({"overrides": {"processing_mode": ROUTED_MODE}}),
        }
    )
    routes += [
        {
            "name": f"pass-through:{method} {path}",
            "match": _match(path_regex([path]), method=method),
            "route": _to_cluster(default, tls_hosts),
        }
        for path, method in PASS_THROUGH.items()
    ]
    routes.append(_refusal("routed-wrong-method", method_not_allowed(), routed))
    routes.append(_refusal("unknown-path", unknown_url()))
    return routes
