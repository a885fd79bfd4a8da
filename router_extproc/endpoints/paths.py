"""The request paths the gateway serves: one table, read by the router and by the Envoy routes.

Envoy normalises a path before anything looks at it (RFC 3986 dot segments and percent-decoding
of unreserved characters, merged slashes, ``%2F``/``%5C`` unescaped), then sends to a model only
the paths named here; every other path gets an OpenAI-shaped 404 from Envoy itself, without the
router and without a model. The router looks its paths up in the same table, so "Envoy may send
it to a model" and "the router decided it" are one set of paths, rendered from one place.

- ``ROUTED``: POST paths whose body the router parses and routes, by endpoint. Each canonical path
  also answers the aliases OpenAI-compatible servers and SDKs use (no ``/v1`` prefix, a trailing
  slash); the model always receives the canonical path.
- ``PASS_THROUGH``: paths that go, unread, to the policy's default model (``GET /v1/models``).

``ROUTED`` comes from the endpoint specs (``registry.SPECS``): adding an API is its spec module,
then ``make envoy-config deploy-config`` (tests fail while the rendered configs are stale).
"""

from __future__ import annotations

import re

from router_extproc.endpoints.registry import SPECS
from router_extproc.errors import RequestError

Endpoint = str
"""An endpoint spec's name (``chat``, ``completions``, ``responses``, ``messages``)."""

ROUTED: dict[Endpoint, str] = {name: spec.path for name, spec in SPECS.items()}
PASS_THROUGH: dict[str, str] = {"/v1/models": "GET"}
"""Canonical path -> the one method that passes through to the default model."""

_PREFIX = "/v1/"


def aliases(canonical: str) -> tuple[str, ...]:
    """The spellings of ``canonical`` that reach it: with and without ``/v1``, trailing slash or not."""
    bare = canonical.removeprefix("/v1")
    return canonical, canonical + "/", bare, bare + "/"


_ROUTED_BY_PATH: dict[str, Endpoint] = {a: e for e, c in ROUTED.items() for a in aliases(c)}
_PASS_BY_PATH: dict[str, str] = {a: m for c, m in PASS_THROUGH.items() for a in aliases(c)}


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def endpoint_for(method: str, path: str) -> Endpoint | None:
    """The routed endpoint for a method and ``:path`` (query string ignored), else None."""
    if method != "POST":
        return None
    return _ROUTED_BY_PATH.get(_path_only(path))


def passes_through(method: str, path: str) -> bool:
    """A declared pass-through request: the default model answers it unread."""
    return _PASS_BY_PATH.get(_path_only(path)) == method


def is_routed_path(path: str) -> bool:
    """A routed path, whatever the method (a GET on it is refused with 405, not 404)."""
    return _path_only(path) in _ROUTED_BY_PATH


def served() -> str:
    """What the gateway serves, for the message of a 404/405 (the router's and Envoy's)."""
    routed = [f"POST {path}" for path in ROUTED.values()]
    passed = [f"{method} {path}" for path, method in PASS_THROUGH.items()]
    return ", ".join(routed + passed)


def path_regex(canonicals: list[str]) -> str:
    """An RE2 pattern matching every alias of ``canonicals``; group 1 is the part after ``/v1/``,
    so ``/v1/\\1`` rewrites any alias to its canonical path (Envoy's ``regex_rewrite``)."""
    for canonical in canonicals:
        if not canonical.startswith(_PREFIX):
            raise ValueError(f"canonical path {canonical!r} must start with {_PREFIX}")
    names = "|".join(re.escape(c.removeprefix(_PREFIX)) for c in canonicals)
    return f"^(?:/v1)?/({names})/?$"


CANONICAL_REWRITE = r"/v1/\1"
"""The substitution that goes with ``path_regex``."""


def unknown_url() -> RequestError:
    """A path the gateway does not serve (Envoy answers it too, without the router)."""
    return RequestError(404, f"Unknown request URL. This gateway serves {served()}.", "invalid_request_error",
                        "unknown_url")


def method_not_allowed() -> RequestError:
    return RequestError(405, f"Method not allowed. This gateway serves {served()}.", "invalid_request_error",
                        "method_not_allowed")
