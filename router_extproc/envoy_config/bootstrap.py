"""Render the Envoy bootstrap from the policy, so clusters and routes cannot drift from it.

One cluster per policy model; the routes (``envoy_routes.py``) send a request to a model only
on a path the router decides; the ext_proc filter; paths normalised before anything reads
them; the client's own ``x-selected-model`` stripped before routing; OpenAI-shaped bodies
for Envoy's own error replies; and bounded resources (buffers, connections, streams,
request time, heap through the overload manager), so Envoy sheds load before its pod limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from router_extproc import headers as H
from router_extproc.endpoints.usage import MAX_USAGE_BODY_BYTES
from router_extproc.envoy_config.fallback import fallback_clusters, fallback_routes
from router_extproc.envoy_config.internal import INTERNAL_HEADERS, internal_listener
from router_extproc.envoy_config.overload import overload_manager
from router_extproc.envoy_config.replies import local_reply_config
from router_extproc.envoy_config.routes import (
    EXT_PROC_FILTER,
    FILTER_MODE,
    LLM_ROUTE_TIMEOUT,
    cluster_name,
    render_routes,
)
from router_extproc.policy import Policy
from router_extproc.policy.spec import ENVOY_MESSAGE_TIMEOUT_MS

EXT_PROC_CLUSTER = "router_extproc"
OTLP_CLUSTER = "otel_collector"
BUFFER_SLACK_BYTES = 64 * 1024
MAX_MESSAGE_TIMEOUT = "300s"
"""The longest the router may extend one message's timer (a cascade's wait; the route timeout)."""


@dataclass(frozen=True)
class EnvoyPorts:
    listener: int = 8080
    admin: int = 9901
    router: int = 50051
    router_unix_socket: str | None = None
    address: str = "127.0.0.1"
    internal: int | None = None
    """Loopback port of the internal listener for the router's own model calls (cascades); None: none."""
    router_processes: int = 1
    """Router processes behind the ext_proc cluster (``serve --processes N``): TCP ports
    ``router`` .. ``router + N - 1``, or sockets ``router_unix_socket`` with ``.1`` .. ``.N-1``
    appended after the first; Envoy spreads the ext_proc streams (one per request) over them."""


@dataclass(frozen=True)
class EnvoyOptions:
    failure_mode_allow: bool = True
    """True: router down/slow/erroring -> the default (local) route. False: 5xx error."""
    message_timeout: str = f"{ENVOY_MESSAGE_TIMEOUT_MS / 1000:g}s"
    """Time the router has per message. Envoy's 200 ms default is a known production trap."""
    buffer_limit_bytes: int | None = None
    """Per-stream buffer; bodies larger than this get Envoy's own 413 before the router sees
    them. None: the policy's ``max_body_bytes`` (or the 8 MiB of a JSON answer read for usage,
    if larger) plus 64 KiB, so the router answers the 413 for bodies just over its limit."""
    max_connections: int = 1024
    """Downstream connections across listeners (overload manager); beyond, Envoy refuses."""
    max_heap_bytes: int = 256 * 1024 * 1024
    """Envoy's heap budget (tcmalloc heap, not RSS: RSS adds ~60 MiB of binary and runtime).
    Free heap goes back to the OS every second; from 85% the largest HTTP/2 streams are reset,
    from 90% new requests get 503 and new streams are refused, from 95% uploads that keep
    sending are aborted, from 98% connections are refused. 256 MiB fits 12 concurrent max-size
    requests (each body is held twice for a moment) without shedding, and keeps RSS under the
    pod's 384 Mi limit when shedding (measured in docs/reliability.md)."""
    request_timeout: str = "60s"
    """Time to receive a whole request: a stalled upload holds at most one buffer this long."""
    upstream_overrides: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Model name -> (host, port), replacing the policy's upstream (tests, demo)."""
    access_log: bool = True
    otlp_collector: tuple[str, int] | None = None
    """OTLP/gRPC collector for Envoy's own spans. Envoy then sends ``traceparent`` to the
    router in the ext_proc call's metadata, so both sides' spans join one trace."""
    tracing_flush_ms: int | None = None
    """How often Envoy exports spans (Envoy's default is 5000 ms)."""
    health_check_path: str | None = None
    """Answered by Envoy itself (200, or 503 while draining): the pod's readiness probe."""
    listener_address: str | None = None
    """Listener bind address when it differs from ``ports.address`` (``0.0.0.0`` in a pod,
    while admin stays on loopback)."""


def _socket_address(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


def _is_ip(host: str) -> bool:
    """An IP address gets a STATIC cluster; a name is resolved (STRICT_DNS)."""
    return host.replace(".", "").isdigit() or ":" in host


def buffer_limit_for(policy: Policy) -> int:
    return max(policy.limits.max_body_bytes, MAX_USAGE_BODY_BYTES) + BUFFER_SLACK_BYTES


def _model_cluster(name: str, host: str, port: int, tls: bool, buffer_limit: int) -> dict[str, Any]:
    is_ip = _is_ip(host)
    cluster: dict[str, Any] = {
        "name": cluster_name(name),
        "type": "STATIC" if is_ip else "STRICT_DNS",
        "connect_timeout": "2s",
        "per_connection_buffer_limit_bytes": buffer_limit,
        "load_assignment": {
            "cluster_name": cluster_name(name),
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _socket_address(host, port)}}]}],
        },
    }
    if not is_ip:
        cluster["dns_lookup_family"] = "V4_PREFERRED"
    if tls:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "sni": host,
            },
        }
    return cluster


def render_bootstrap(policy: Policy, ports: EnvoyPorts, options: EnvoyOptions = EnvoyOptions()) -> dict[str, Any]:
    tls_hosts = {
        name for name, spec in policy.models.items()
        if spec.upstream is not None and spec.upstream.tls and name not in options.upstream_overrides
    }
    routes = fallback_routes(policy) + render_routes(policy, tls_hosts)
    buffer_limit = options.buffer_limit_bytes or buffer_limit_for(policy)
    ext_proc_config: dict[str, Any] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
        "grpc_service": {"envoy_grpc": {"cluster_name": EXT_PROC_CLUSTER}},
        "failure_mode_allow": options.failure_mode_allow,
        "message_timeout": options.message_timeout,
        "allow_mode_override": True,
        "processing_mode": FILTER_MODE,
    }
    if ports.internal is not None:
        # a cascade holds the answer while it waits on a second opinion or the strong model:
        # the router extends the timer for that one message (override_message_timeout)
        ext_proc_config["max_message_timeout"] = MAX_MESSAGE_TIMEOUT
    ext_proc = {"name": EXT_PROC_FILTER, "typed_config": ext_proc_config}
    hcm: dict[str, Any] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "llm",
        "codec_type": "AUTO",
        "stream_idle_timeout": LLM_ROUTE_TIMEOUT,
        "request_timeout": options.request_timeout,
        "request_headers_timeout": "10s",
        # One path for everyone: Envoy's routes, the router and the model all see the same one.
        "normalize_path": True,
        "merge_slashes": True,
        "path_with_escaped_slashes_action": "UNESCAPE_AND_FORWARD",
        # Clients are external: Envoy drops the x-envoy-* headers a client sends (retry, timeout
        # and routing overrides). A client's own x-request-id is kept for correlation (the router
        # logs it only when short and plain: telemetry.record.safe_request_id).
        "use_remote_address": True,
        "preserve_external_request_id": True,
        "http2_protocol_options": {
            "max_concurrent_streams": 100,
            "initial_stream_window_size": 65536,
            "initial_connection_window_size": 1048576,
        },
        # Strip a client's own routing header before the route is first chosen; a header
        # mutation filter would run after the route is cached.
        "early_header_mutation_extensions": [
            {
                "name": "envoy.http.early_header_mutation.header_mutation",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
                    "mutations": [{"remove": name} for name in (H.SELECTED_MODEL, *INTERNAL_HEADERS)],
                },
            }
        ],
        "route_config": {
            "name": "llm",
            "virtual_hosts": [{"name": "llm", "domains": ["*"], "routes": routes,
                               # fallback chains: which attempt answered (the router reads it back)
                               **({"include_request_attempt_count": True, "include_attempt_count_in_response": True}
                                  if any(d.fallback for d in policy.decisions) else {})}],
        },
        "http_filters": [
            *([_health_check_filter(options.health_check_path)] if options.health_check_path else []),
            ext_proc,
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
            },
        ],
        "local_reply_config": local_reply_config(),
    }
    if options.access_log:
        hcm["access_log"] = [
            {
                "name": "envoy.access_loggers.stdout",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
                    "log_format": {
                        "text_format_source": {
                            "inline_string": "[%START_TIME%] \"%REQ(:METHOD)% %REQ(:PATH)%\" %RESPONSE_CODE% "
                            "%RESPONSE_CODE_DETAILS% model=%REQ(X-SELECTED-MODEL)% %DURATION%ms "
                            "upstream=%UPSTREAM_CLUSTER%\n"
                        }
                    },
                },
            }
        ]

    if options.otlp_collector is not None:
        hcm["tracing"] = {
            "provider": {
                "name": "envoy.tracers.opentelemetry",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
                    "grpc_service": {"envoy_grpc": {"cluster_name": OTLP_CLUSTER}, "timeout": "1s"},
                    "service_name": "envoy",
                },
            },
            "spawn_upstream_span": True,
        }

    clusters = [_grpc_cluster(EXT_PROC_CLUSTER, router_addresses(ports), "STATIC")]
    if options.otlp_collector is not None:
        host, port = options.otlp_collector
        clusters.append(_grpc_cluster(OTLP_CLUSTER, _socket_address(host, port), "STATIC" if _is_ip(host) else "STRICT_DNS"))
    endpoints: dict[str, tuple[str, int, bool]] = {}
    for name, spec in policy.models.items():
        if name in options.upstream_overrides:
            host, port = options.upstream_overrides[name]
            tls = False
        elif spec.upstream is not None:
            host, port, tls = spec.upstream.host, spec.upstream.port, spec.upstream.tls
        else:
            raise ValueError(f"model {name!r} has no upstream in the policy and no override")
        endpoints[name] = (host, port, tls)
        clusters.append(_model_cluster(name, host, port, tls, buffer_limit))
    clusters += fallback_clusters(policy, endpoints, buffer_limit, EXT_PROC_CLUSTER, options.message_timeout)

    bootstrap: dict[str, Any] = {
        "admin": {"address": _socket_address(ports.address, ports.admin), "ignore_global_conn_limit": True},
        "overload_manager": overload_manager(options.max_heap_bytes, options.max_connections),
        "static_resources": {
            "listeners": [
                {
                    "name": "llm",
                    "address": _socket_address(options.listener_address or ports.address, ports.listener),
                    "per_connection_buffer_limit_bytes": buffer_limit,
                    "filter_chains": [
                        {
                            "filters": [
                                {"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}
                            ]
                        }
                    ],
                }
            ],
            "clusters": clusters,
        },
    }
    if ports.internal is not None:
        bootstrap["static_resources"]["listeners"].append(
            internal_listener(policy, _socket_address(ports.address, ports.internal), tls_hosts, buffer_limit))
    if options.tracing_flush_ms is not None:
        bootstrap["layered_runtime"] = {
            "layers": [
                {"name": "static", "static_layer": {"tracing.opentelemetry.flush_interval_ms": options.tracing_flush_ms}}
            ]
        }
    return bootstrap


def router_addresses(ports: EnvoyPorts) -> list[dict[str, Any]]:
    """The ext_proc cluster's endpoints: one per router process."""
    out = []
    for index in range(ports.router_processes):
        if ports.router_unix_socket:
            path = ports.router_unix_socket + (f".{index}" if index else "")
            out.append({"pipe": {"path": path}})
        else:
            out.append(_socket_address(ports.address, ports.router + index))
    return out


def _grpc_cluster(name: str, address: dict[str, Any] | list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """A gRPC upstream: it must speak HTTP/2, or Envoy bypasses it (ext_proc) or fails."""
    addresses = address if isinstance(address, list) else [address]
    return {
        "name": name,
        "type": kind,
        "connect_timeout": "1s",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http2_protocol_options": {}},
            }
        },
        "load_assignment": {"cluster_name": name, "endpoints": [
            {"lb_endpoints": [{"endpoint": {"address": a}} for a in addresses]}]},
    }


def _health_check_filter(path: str) -> dict[str, Any]:
    """Envoy answers ``path`` itself: 200 while serving, 503 once draining (SIGTERM or
    ``/healthcheck/fail``), so a pod leaves the Service before Envoy stops."""
    return {
        "name": "envoy.filters.http.health_check",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck",
            "pass_through_mode": False,
            "headers": [{"name": ":path", "string_match": {"exact": path}}],
        },
    }


def render_bootstrap_yaml(
    policy: Policy, ports: EnvoyPorts, options: EnvoyOptions | None = None, **option_overrides: Any
) -> str:
    opts = options or EnvoyOptions(**option_overrides)
    default = policy.default_model
    ids = " ".join([policy.models[default].provider_model_id,
                    *sorted(policy.served_ids(default) - {policy.models[default].provider_model_id})])
    header = (
        f"# Rendered by `router-extproc render-envoy` from policy {policy.name!r}. Do not edit by hand.\n"
        f"# Fail-open: requests reach model_{default} unrouted, so its server must serve the ids: {ids}\n"
        f"# (vLLM: --served-model-name {ids}; Ollama: `ollama cp` each extra name).\n"
    )
    return header + yaml.safe_dump(render_bootstrap(policy, ports, opts), sort_keys=False, width=120)
