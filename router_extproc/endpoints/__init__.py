"""The APIs the router routes, one spec per path (parse, every readable string, model id,
system prompt, reasoning, usage, errors), over one common request view."""

from .base import EndpointSpec
from .registry import SPECS, spec
from .request import Message, ParsedRequest, serialize

__all__ = ["SPECS", "EndpointSpec", "Message", "ParsedRequest", "serialize", "spec"]
