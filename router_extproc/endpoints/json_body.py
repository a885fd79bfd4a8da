"""Decode a request body: JSON the router can parse *and* forward faithfully, or a 400.

Every API's body is JSON; the limits of what the router accepts (``json_limits``) are the same
for all of them, so decoding happens once, before the endpoint spec reads its fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from router_extproc.endpoints import json_limits
from router_extproc.errors import bad_request

_LONG_DIGIT_RUN = re.compile(rb"\d{19,}")
"""orjson turns integers beyond 64 bits into floats; bodies with long digit runs take the
exact (slower) stdlib path so a re-serialized body never changes a number."""


def decode_json(raw: bytes) -> Any:
    """Parse JSON bytes; 400 with a precise code for empty, non-UTF-8, invalid JSON and for
    values the router could not forward faithfully (``json_limits``), naming the field."""
    if not raw.strip():
        raise bad_request("Request body is empty; expected a JSON object.", code="missing_body")
    if not _LONG_DIGIT_RUN.search(raw):
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the stdlib says why (or accepts what needs a closer look)
        else:
            json_limits.check(document, strict_scalars=False)
            return document
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"Request body is not valid UTF-8 (byte {exc.start}).", code="invalid_encoding") from None
    try:
        document = json.loads(text, parse_int=json_limits.parse_int)
    except json.JSONDecodeError as exc:
        raise bad_request(f"Request body is not valid JSON: {exc}.", code="invalid_json") from None
    except RecursionError:
        raise bad_request(f"Request body is nested more than {json_limits.MAX_DEPTH} levels deep.",
                          code="nesting_too_deep") from None
    json_limits.check(document, strict_scalars=True)
    return document
