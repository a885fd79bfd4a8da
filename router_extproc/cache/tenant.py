"""Who a request belongs to: the first part of every cache and session key.

A configured header (set by an auth filter in front of the router), else a hash of the
client's API key. The key itself never reaches the store: only its SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from router_extproc.policy.cache_spec import TenantSpec

API_KEY_HEADERS = ("authorization", "x-api-key")
ANONYMOUS = "anonymous"


def _digest(kind: str, value: str) -> str:
    return kind + ":" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def tenant_of(spec: TenantSpec, headers: Mapping[str, str]) -> str | None:
    """The tenant key of a request; None when it has none and anonymous requests bypass."""
    if spec.header is not None:
        value = headers.get(spec.header, "").strip()
        if value:
            return _digest("h", value)
    else:
        for name in API_KEY_HEADERS:
            value = headers.get(name, "").strip()
            if value:
                return _digest("k", value)
    return ANONYMOUS if spec.anonymous == "shared" else None
