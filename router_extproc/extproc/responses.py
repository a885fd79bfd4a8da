"""Builders of ProcessingResponse messages that hide the protobuf nesting.

Envoy 1.40 reads header values only from ``raw_value``, and ``clear_route_cache`` only
when the same response carries a header mutation: both are handled here, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router_extproc.pb.envoy.config.core.v3 import base_pb2
from router_extproc.pb.envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb
from router_extproc.pb.envoy.type.v3 import http_status_pb2

ProcessingMode = processing_mode_pb2.ProcessingMode


def header_mutation(set_headers: Mapping[str, str] | None = None, remove: Sequence[str] = ()) -> pb.HeaderMutation:
    return pb.HeaderMutation(
        set_headers=[
            base_pb2.HeaderValueOption(header=base_pb2.HeaderValue(key=k, raw_value=v.encode()))
            for k, v in (set_headers or {}).items()
        ],
        remove_headers=list(remove),
    )


def _common(
    set_headers: Mapping[str, str] | None,
    remove: Sequence[str],
    body: bytes | None,
    clear_route_cache: bool,
) -> pb.CommonResponse:
    mutation = header_mutation(set_headers, remove) if (set_headers or remove) else None
    return pb.CommonResponse(
        header_mutation=mutation,
        body_mutation=pb.BodyMutation(body=body) if body is not None else None,
        clear_route_cache=clear_route_cache and mutation is not None,
    )


def request_headers(
    set_headers: Mapping[str, str] | None = None,
    remove: Sequence[str] = (),
    mode_override: ProcessingMode | None = None,
) -> pb.ProcessingResponse:
    return pb.ProcessingResponse(
        request_headers=pb.HeadersResponse(response=_common(set_headers, remove, None, False)),
        mode_override=mode_override,
    )


def request_body(
    set_headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    clear_route_cache: bool = False,
) -> pb.ProcessingResponse:
    return pb.ProcessingResponse(request_body=pb.BodyResponse(response=_common(set_headers, (), body, clear_route_cache)))


def response_headers(
    set_headers: Mapping[str, str] | None = None, mode_override: ProcessingMode | None = None
) -> pb.ProcessingResponse:
    return pb.ProcessingResponse(
        response_headers=pb.HeadersResponse(response=_common(set_headers, (), None, False)),
        mode_override=mode_override,
    )


def response_body(replacement: bytes | None = None) -> pb.ProcessingResponse:
    """Continue; ``replacement`` stands in for this body (or, when streamed, this chunk)."""
    return pb.ProcessingResponse(response_body=pb.BodyResponse(response=_common(None, (), replacement, False)))


def request_trailers() -> pb.ProcessingResponse:
    return pb.ProcessingResponse(request_trailers=pb.TrailersResponse())


def response_trailers() -> pb.ProcessingResponse:
    return pb.ProcessingResponse(response_trailers=pb.TrailersResponse())


def immediate(status: int, body: bytes, headers: Mapping[str, str], details: str = "") -> pb.ProcessingResponse:
    """End the HTTP request now with this status, headers and body (a local reply in Envoy)."""
    return pb.ProcessingResponse(
        immediate_response=pb.ImmediateResponse(
            status=http_status_pb2.HttpStatus(code=status),  # type: ignore[arg-type]
            headers=header_mutation(headers),
            body=body,
            details=details,
        )
    )


def pass_through_mode() -> ProcessingMode:
    """Stop sending this request's body and response to the router: nothing to decide."""
    return ProcessingMode(
        request_body_mode=ProcessingMode.NONE,
        response_header_mode=ProcessingMode.SKIP,
        response_body_mode=ProcessingMode.NONE,
    )


def routed_mode() -> ProcessingMode:
    """A routed request, once the router has its headers: the whole body, then the response
    headers. Envoy's route config asks only for the body, so a local reply Envoy makes before
    the router has answered (a malformed body) never waits on the router."""
    return ProcessingMode(
        request_body_mode=ProcessingMode.BUFFERED,
        response_header_mode=ProcessingMode.SEND,
        response_body_mode=ProcessingMode.NONE,
    )


def response_body_mode(mode: int) -> ProcessingMode:
    """How this response's body reaches the router (set at its response headers)."""
    return ProcessingMode(response_body_mode=mode)  # type: ignore[arg-type]


def headers_to_dict(header_map: base_pb2.HeaderMap) -> dict[str, str]:
    """Envoy sends lower-case keys with values in ``raw_value`` (``value`` as a fallback). A
    repeated header becomes one comma-joined value (RFC 9110's reading), never "the last one
    wins": a tenant header sent as ``private`` and again as ``public`` must not read as public."""
    out: dict[str, str] = {}
    for h in header_map.headers:
        value = h.raw_value.decode("utf-8", "replace") if h.raw_value else h.value
        out[h.key] = f"{out[h.key]},{value}" if h.key in out else value
    return out
