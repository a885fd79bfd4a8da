"""The routed APIs, one spec each, looked up by path.

``endpoint_for`` answers "which API is this request?" for the router; the Envoy route table is
rendered from the same specs (``paths.py``), so a path Envoy sends to a model is one the router
parses. Adding an API: a module with its ``EndpointSpec`` and one line here.
"""

from __future__ import annotations

from .base import EndpointSpec
from .chat import ChatCompletions
from .completions import Completions
from .messages import Messages
from .responses import Responses

SPECS: dict[str, EndpointSpec] = {spec.name: spec for spec in (ChatCompletions(), Completions(), Responses(), Messages())}


def spec(name: str) -> EndpointSpec:
    return SPECS[name]
