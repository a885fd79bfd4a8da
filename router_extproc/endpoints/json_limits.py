"""What a request body may hold beyond JSON's grammar, checked once after decoding.

Python's ``json`` (the exact path for long numbers, and the fallback when orjson refuses a
body) accepts things the router cannot forward faithfully: lone UTF-16 surrogates
(``"\\ud800"``, not Unicode, so not re-encodable), ``NaN``/``Infinity`` and overflowing numbers
(``1e999``; orjson would write them back as ``null``), integers too long to convert, and nesting
deeper than orjson can write back (254 levels). Each becomes a 400 naming the field, so a
parseable body never reaches the router's error path.
"""

from __future__ import annotations

import math
from typing import Any

from router_extproc.errors import RequestError, bad_request

MAX_DEPTH = 64
"""Objects and arrays nested deeper than this are refused (OpenAI bodies, tool schemas
included, stay far below; orjson cannot re-serialise beyond 254)."""
MAX_INT_DIGITS = 4300
"""Python's own limit for converting a digit string (``sys.get_int_max_str_digits``)."""
_MAX_PARAM_CHARS = 120


class HugeInt:
    """Stands in for an integer literal too long to convert, until the walk names its field."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def parse_int(literal: str) -> int | HugeInt:
    """``json.loads(parse_int=...)``: convert, or mark an oversized literal for ``check``."""
    digits = len(literal) - literal.startswith("-")
    return int(literal) if digits <= MAX_INT_DIGITS else HugeInt(digits)


def _show_key(key: str) -> str:
    return key[:40].encode("utf-8", "backslashreplace").decode("utf-8")


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{_show_key(key)}" if path else _show_key(key)


def _refuse(path: str, message: str, code: str) -> RequestError:
    where = path or "(body)"
    if len(where) > _MAX_PARAM_CHARS:
        where = where[: _MAX_PARAM_CHARS - 3] + "..."
    return bad_request(f"'{where}' {message}", code=code, param=where)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check(document: Any, *, strict_scalars: bool) -> None:
    """Raise a 400 naming the first field that breaks a limit. ``strict_scalars``: also check
    strings and numbers (needed after ``json``; orjson already refuses what they catch)."""
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _refuse(path, f"is nested more than {MAX_DEPTH} levels deep.", "nesting_too_deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                child = _child(path, key)
                if strict_scalars and isinstance(key, str) and not _is_unicode(key):
                    raise _refuse(child, "has a key with a lone UTF-16 surrogate; keys must be valid Unicode.",
                                  "invalid_encoding")
                if isinstance(item, dict | list):
                    stack.append((item, child, depth + 1))
                elif strict_scalars:
                    _check_scalar(item, child)
        elif strict_scalars:
            _check_scalar(value, path)


def _check_scalar(value: Any, path: str) -> None:
    if isinstance(value, str):
        if not _is_unicode(value):
            raise _refuse(path, "contains a lone UTF-16 surrogate; strings must be valid Unicode.", "invalid_encoding")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(path, "is not a finite number (NaN, Infinity or out of range).", "invalid_number")
    elif isinstance(value, HugeInt):
        raise _refuse(path, f"is an integer of {value.digits} digits (at most {MAX_INT_DIGITS}).", "invalid_number")
