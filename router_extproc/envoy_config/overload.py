"""Envoy's overload manager: how it keeps its memory under the pod limit and its connections
bounded (thresholds measured in docs/reliability.md)."""

from __future__ import annotations

from typing import Any


def overload_manager(max_heap_bytes: int, max_connections: int) -> dict[str, Any]:
    """Keep RSS near the heap in use (free memory returned every second), and shed load before
    the pod limit as the heap nears ``max_heap_bytes``: the largest HTTP/2 streams are reset,
    new requests get 503, uploads still sending are aborted, then new connections are refused;
    connections are capped."""
    heap = "envoy.resource_monitors.fixed_heap"
    return {
        # Uploads arrive fast: between two readings of the heap, each accepted one can add a
        # buffer (8 MiB); a short interval keeps that overshoot small.
        "refresh_interval": "0.05s",
        "resource_monitors": [
            {
                "name": heap,
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig",
                    "max_heap_size_bytes": max_heap_bytes,
                },
            },
            {
                "name": "envoy.resource_monitors.global_downstream_max_connections",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3."
                    "DownstreamConnectionsConfig",
                    "max_active_downstream_connections": max_connections,
                },
            },
        ],
        "actions": [
            {
                # Always on: freed buffers go back to the OS within a second (tcmalloc keeps them
                # otherwise, and RSS, which the pod limit counts, would stay at the burst's peak).
                "name": "envoy.overload_actions.shrink_heap",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.config.overload.v3.ShrinkHeapConfig",
                    "timer_interval": "1s",
                    "max_unfreed_memory_bytes": 16 * 1024 * 1024,
                },
                "triggers": [{"name": heap, "threshold": {"value": 0.0}}],
            },
            {"name": "envoy.overload_actions.stop_accepting_requests",
             "triggers": [{"name": heap, "threshold": {"value": 0.9}}]},
            {"name": "envoy.overload_actions.reset_high_memory_stream",
             "triggers": [{"name": heap, "scaled": {"scaling_threshold": 0.85, "saturation_threshold": 0.95}}]},
        ],
        "loadshed_points": [
            {"name": point, "triggers": [{"name": heap, "threshold": {"value": value}}]}
            for point, value in (
                ("envoy.load_shed_points.http_connection_manager_decode_headers", 0.9),
                ("envoy.load_shed_points.http1_server_abort_dispatch", 0.95),
                ("envoy.load_shed_points.http2_server_go_away_on_dispatch", 0.95),
                ("envoy.load_shed_points.tcp_listener_accept", 0.98),
            )
        ],
        "buffer_factory_config": {"minimum_account_to_track_power_of_two": 20},
    }
