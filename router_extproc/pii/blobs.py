"""Base64 and hex blobs: decoded (bounded) so the PII inside them can be scanned.

A model reads base64 as easily as plain text, so ``am9obkBleGFtcGxlLmNvbQ==`` is an e-mail
address. Candidates are long runs of the alphabet; only those that decode to mostly printable
UTF-8 text are kept (hashes, binary images and ordinary long words decode to nothing usable).
At most ``MAX_DECODED_CHARS`` of decoded text per message are scanned; a message with more
text hidden in blobs than that is reported as not completely scanned.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass

from router_extproc.pii import rx

BASE64 = "base64"
HEX = "hex"

MAX_DECODED_CHARS = 1 << 20
"""Decoded text scanned per message (all blobs together)."""

_BASE64 = rx.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_LINE_BREAKS = {ord("\n"): None, ord("\r"): None, ord("\t"): None}
_HEX = rx.compile(r"\b(?:[0-9A-Fa-f]{2}){8,}\b")


@dataclass(frozen=True)
class Blob:
    start: int
    end: int
    text: str
    encoding: str


def blobs(text: str, budget: rx.Budget) -> Iterator[Blob]:
    """Decodable blobs of ``text``, in order of position within each encoding."""
    left = MAX_DECODED_CHARS
    for pattern, encoding, decode in ((_HEX, HEX, _from_hex), (_BASE64, BASE64, _from_base64)):
        for start, end in rx.finditer(pattern, text, budget, f"{encoding} blobs"):
            candidate = text[start:end]
            if encoding == BASE64 and _all_hex(candidate):
                continue  # read as hex already
            decoded = decode(candidate)
            if decoded is None:
                continue
            left -= len(decoded)
            if left < 0:
                budget.exceed(f"more than {MAX_DECODED_CHARS} characters decoded from blobs")
                return
            yield Blob(start, end, decoded, encoding)


def _all_hex(candidate: str) -> bool:
    return not candidate.strip("0123456789abcdefABCDEF")


def _readable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or text.translate(_LINE_BREAKS).isprintable():
        return text if any(ch.isalnum() for ch in text) else None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if printable >= 0.9 * len(text) and any(ch.isalnum() for ch in text) else None


def _from_base64(candidate: str) -> str | None:
    body = candidate.rstrip("=")
    if len(body) % 4 == 1:
        return None
    altchars = b"-_" if ("-" in body or "_" in body) else None
    if altchars and ("+" in body or "/" in body):
        return None
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _from_hex(candidate: str) -> str | None:
    try:
        return _readable(bytes.fromhex(candidate))
    except ValueError:
        return None
