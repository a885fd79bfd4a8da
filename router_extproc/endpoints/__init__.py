"""The APIs the router routes, one spec per path (parse, every readable string, model id,
system prompt, reasoning, usage, errors), over one common request view."""

from router_extproc.endpoints.base import EndpointSpec
from router_extproc.endpoints.registry import SPECS, parse_body, parse_request, spec
from router_extproc.endpoints.request import Message, ParsedRequest, serialize

__all__ = ["SPECS", "EndpointSpec", "Message", "ParsedRequest", "parse_body", "parse_request", "serialize", "spec"]
