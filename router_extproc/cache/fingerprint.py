"""Cache keys: everything that changes an answer, hashed.

The exact key covers the tenant, the endpoint, the policy version (a reload may route
elsewhere or gate differently), the headers that vary an answer and the whole body in
canonical form: requested model, system prompt, tools and tool choice, response format,
sampling parameters, the conversation, ``stream``. The semantic partition is the same with
the last user turn taken out: inside it, two requests differ only by that turn, which the
semantic matcher then judges.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

TURN = "\x00last-user-turn\x00"
"""What stands in for the last user turn in the partition's body."""


def _canonical(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(tenant: str, endpoint: str, version: str, vary: Sequence[tuple[str, str]], body: Any, kind: str) -> str:
    """One key; the tenant comes first and is hashed with the rest, so no key of one tenant
    can equal a key of another."""
    hasher = hashlib.sha256()
    for part in (kind, tenant, endpoint, version):
        hasher.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    hasher.update(_canonical(list(vary)) + b"\x00")
    hasher.update(_canonical(body))
    return f"{kind}:{hasher.hexdigest()}"


def vary_values(names: Sequence[str], headers: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(name, headers.get(name, "")) for name in names]


def _last_user_index(items: list[Any]) -> int | None:
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if isinstance(item, dict) and item.get("role") == "user":
            return index
    return None


def without_last_turn(endpoint: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The body with its last user turn replaced by ``TURN``; None when this request has no
    such turn the matcher can judge (then only the exact key serves it)."""
    if endpoint == "completions":
        if not isinstance(body.get("prompt"), str):
            return None
        return {**body, "prompt": TURN}
    key = "input" if endpoint == "responses" else "messages"
    items = body.get(key)
    if endpoint == "responses" and isinstance(items, str):
        return {**body, key: TURN}
    if not isinstance(items, list):
        return None
    index = _last_user_index(items)
    if index is None:
        return None
    out = copy.copy(body)
    out[key] = list(items)
    out[key][index] = {**items[index], "content": TURN}
    return out
