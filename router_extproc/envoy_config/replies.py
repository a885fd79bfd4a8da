"""Envoy's own replies in the client's API shape: a ``local_reply_config`` whose mappers turn
Envoy's plain-text errors (malformed HTTP, its 413, timeouts, overload, upstream failures)
into OpenAI error objects, while the router's own refusals (details ``router_*``) and the
route refusals (404/405, JSON already) keep their bodies."""

from __future__ import annotations

from typing import Any

from router_extproc.errors import ROUTER_DETAILS_PREFIX


def _error_mapper(status: int, message: str, error_type: str, code: str,
                  when: str = f"!response.code_details.startsWith('{ROUTER_DETAILS_PREFIX}')") -> dict[str, Any]:
    """Replace Envoy's plain-text local reply for ``status`` with an OpenAI error object, when
    the CEL expression ``when`` holds (by default: not one of the router's own refusals, whose
    bodies are already OpenAI-shaped)."""
    body = (
        '{"error":{"message":"' + message + '","type":"' + error_type + '","param":null,"code":"' + code + '"}}'
    )
    return {
        "filter": {
            "and_filter": {
                "filters": [
                    {
                        "status_code_filter": {
                            "comparison": {
                                "op": "EQ",
                                "value": {"default_value": status, "runtime_key": f"router.local_reply.{status}"},
                            }
                        }
                    },
                    {
                        "extension_filter": {
                            "name": "envoy.access_loggers.extension_filters.cel",
                            "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
                                "expression": when,
                            },
                        }
                    },
                ]
            }
        },
        "body_format_override": {
            "text_format_source": {"inline_string": body},
            "content_type": "application/json",
        },
    }


def local_reply_config() -> dict[str, Any]:
    return {
        "mappers": [
            _direct_response_mapper(),
            _error_mapper(400, "Bad request: %RESPONSE_CODE_DETAILS%", "invalid_request_error", "bad_request"),
            _error_mapper(408, "Request timeout: the request was not received in time.", "invalid_request_error",
                          "request_timeout"),
            _error_mapper(413, "Request body too large.", "invalid_request_error", "request_too_large"),
            _error_mapper(414, "Request URL too long.", "invalid_request_error", "url_too_long"),
            _error_mapper(431, "Request headers too large.", "invalid_request_error", "headers_too_large"),
            _error_mapper(501, "Not implemented: %RESPONSE_CODE_DETAILS%", "invalid_request_error", "not_implemented"),
            _error_mapper(500, "Gateway error: %RESPONSE_CODE_DETAILS%", "server_error", "gateway_error"),
            _error_mapper(502, "Upstream model error: %RESPONSE_CODE_DETAILS%", "server_error", "upstream_error"),
            _overload_mapper(),
            _error_mapper(503, "Model upstream unavailable: %RESPONSE_CODE_DETAILS%", "server_error", "upstream_unavailable"),
            _error_mapper(504, "Timed out: %RESPONSE_CODE_DETAILS%", "server_error", "timeout"),
        ]
    }


def _overload_mapper() -> dict[str, Any]:
    """Envoy's overload manager refusing new requests (503): say so, so clients back off."""
    return _error_mapper(503, "The gateway is overloaded; retry later.", "server_error", "overloaded",
                         when="response.code_details == 'overload'")


def _direct_response_mapper() -> dict[str, Any]:
    """Route refusals (404/405) carry their OpenAI JSON already: say so in the content type."""
    return {
        "filter": {
            "extension_filter": {
                "name": "envoy.access_loggers.extension_filters.cel",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
                    "expression": "response.code_details == 'direct_response'",
                },
            }
        },
        "body_format_override": {
            "text_format_source": {"inline_string": "%LOCAL_REPLY_BODY%"},
            "content_type": "application/json",
        },
    }
