"""Policy sections for the response cache and session affinity, and the store they share.

``store`` says where state lives (``memory``: this process; ``redis``: every replica) and how
a request's tenant is known; ``cache`` when an answer may be served again (exact, then
semantic) and the bounds of what is kept; ``affinity`` how a conversation keeps its model.
Defaults are the safe side: only temperature-0 or opted-in requests, never private-tier ones,
never requests without a tenant.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HEADER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

SEMANTIC_THRESHOLD = 0.8
"""Cosine of the static embeddings at which two last turns may be the same request; chosen by
``router-extproc eval-cache`` on the train pairs (docs/cache.md reports dev)."""
SEMANTIC_MAX_EDITS = 2
"""Content words that may be added or dropped between the two turns."""
SEMANTIC_MAX_NOVELTY = 0.08
"""Share of the two turns' content words those edits may be."""


class StrictModel(BaseModel):
    """As ``spec.StrictModel`` (which imports this module): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _header(name: str) -> str:
    if not HEADER_NAME.match(name):
        raise ValueError(f"header {name!r} must be a lower-case header name")
    return name


class TenantSpec(StrictModel):
    """Who a request belongs to. Every cache and session key starts with the tenant, so no
    lookup can reach another tenant's entries."""

    header: str | None = Field(
        default=None,
        description="Request header naming the tenant; it must be set by something in front of the router the "
        "client cannot bypass (an auth filter). Default: a hash of the client's API key (authorization, x-api-key).")
    anonymous: Literal["bypass", "shared"] = Field(
        default="bypass",
        description="Requests without a tenant: 'bypass' the cache (default), or share one anonymous tenant.")

    @field_validator("header")
    @classmethod
    def _lower(cls, name: str | None) -> str | None:
        return None if name is None else _header(name)


class StoreSpec(StrictModel):
    """Where cache entries and session state live."""

    backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="'memory': this router process only; 'redis': shared by every replica (the URL comes from "
        "`serve --redis-url` or ROUTER_REDIS_URL, not from the policy).")
    timeout_ms: int = Field(default=50, ge=1, le=1000,
                            description="Deadline of one store call; past it the request bypasses the cache.")
    retry_after_seconds: float = Field(default=1.0, ge=0.05, le=60,
                                       description="After a store failure, calls bypass it this long before one tries.")
    tenant: TenantSpec = TenantSpec()


class SemanticSpec(StrictModel):
    """A last user turn close enough to a stored one is the same request."""

    threshold: float = Field(default=SEMANTIC_THRESHOLD, gt=0, le=1,
                             description="Cosine of the static embeddings of the two last turns.")
    max_edits: int = Field(default=SEMANTIC_MAX_EDITS, ge=0, le=16,
                           description="Content words (not function words or punctuation) added or dropped.")
    max_novelty: float = Field(default=SEMANTIC_MAX_NOVELTY, ge=0, le=1,
                               description="Share of both turns' content words those edits may be.")
    max_tokens: int = Field(default=256, ge=8, le=256,
                            description="Longer last turns are served by exact match only (the embedding reads 256).")


class CacheableSpec(StrictModel):
    """Which requests may be answered from the cache (and stored)."""

    temperature_zero: bool = Field(default=True, description="Requests with an explicit temperature of 0.")
    opt_in_header: str | None = Field(
        default="x-router-cache-opt-in",
        description="A request carrying this header with a true value (1, true, yes) is cacheable too.")
    private: bool = Field(
        default=False,
        description="Also cache private-tier requests (a private header, or PII the route depended on). "
        "Off: they bypass the cache, so their answers never reach a shared store.")

    @field_validator("opt_in_header")
    @classmethod
    def _lower(cls, name: str | None) -> str | None:
        return None if name is None else _header(name)


class CacheSpec(StrictModel):
    """Answer a repeated request from the cache: exact match, then semantic."""

    ttl_seconds: int = Field(default=3600, ge=1, le=30 * 86400)
    semantic: SemanticSpec | None = Field(default=SemanticSpec(), description="null: exact match only.")
    cacheable: CacheableSpec = CacheableSpec()
    max_entries: int = Field(default=10000, ge=1, description="Memory backend: entries kept (least recently used go).")
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, description="Memory backend: bytes of answers kept.")
    max_entry_bytes: int = Field(default=1024 * 1024, ge=256, le=8 * 1024 * 1024,
                                 description="Larger answers are not stored.")
    max_partition_entries: int = Field(
        default=128, ge=1, le=4096,
        description="Semantic candidates kept per partition (same tenant, model, system prompt, tools, history); "
        "the oldest go. Bounds the scan of a lookup.")
    vary_headers: list[str] = Field(
        default=["anthropic-version", "anthropic-beta"],
        description="Request headers that change the answer: part of every key.")

    @field_validator("vary_headers")
    @classmethod
    def _headers(cls, names: list[str]) -> list[str]:
        return [_header(n) for n in names]


class AffinitySpec(StrictModel):
    """A conversation keeps its model across turns unless a gate, privacy or capability closure
    forces another, or the turn's difficulty clears the threshold by ``margin``."""

    session_header: str = Field(
        default="x-session-id",
        description="Request header naming the conversation; without it, a hash of its system prompt and first "
        "user message.")
    ttl_seconds: int = Field(default=1800, ge=1, le=30 * 86400)
    margin: float = Field(
        default=0.15, ge=0, le=2,
        description="A turn may move to a pricier model when difficulty >= threshold + margin, to a cheaper one "
        "when difficulty <= threshold - margin (the deciding strong_weak strategy's threshold, else the "
        "difficulty signal's). Without a difficulty result the conversation stays.")

    @field_validator("session_header")
    @classmethod
    def _lower(cls, name: str) -> str:
        return _header(name)
