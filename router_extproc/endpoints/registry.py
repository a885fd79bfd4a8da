"""The routed APIs, one spec each, looked up by path.

``endpoint_for`` answers "which API is this request?" for the router; the Envoy route table is
rendered from the same specs (``paths.py``), so a path Envoy sends to a model is one the router
parses. Adding an API: a module with its ``EndpointSpec`` and one line here.
"""

from __future__ import annotations

from typing import Any

from router_extproc.endpoints.base import EndpointSpec
from router_extproc.endpoints.chat import ChatCompletions
from router_extproc.endpoints.completions import Completions
from router_extproc.endpoints.json_body import decode_json
from router_extproc.endpoints.messages import Messages
from router_extproc.endpoints.request import ParsedRequest
from router_extproc.endpoints.responses import Responses

SPECS: dict[str, EndpointSpec] = {spec.name: spec for spec in (ChatCompletions(), Completions(), Responses(), Messages())}


def spec(name: str) -> EndpointSpec:
    return SPECS[name]


def parse_body(name: str, body: Any) -> ParsedRequest:
    """A decoded body parsed by the named endpoint's spec (400 ``RequestError`` on bad input)."""
    return SPECS[name].parse(body)


def parse_request(name: str, raw: bytes) -> ParsedRequest:
    """Raw body bytes decoded and parsed by the named endpoint's spec."""
    return SPECS[name].parse(decode_json(raw))
