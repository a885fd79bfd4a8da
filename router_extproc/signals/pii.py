"""PII signal: which PII types the request carries, in any string of its body, with their places.

Privacy closure is only as good as this scan's coverage, so it reads what the upstream will
receive, not what the router parsed: every ``text`` string of the body (the endpoint spec's
walk: message text and parts, tool calls and definitions, names, ``user``, ``metadata``,
unknown fields; keys too). Strings are scanned in chunks (one detector call per ~64 KB, spans
mapped back to their string), and the seams between consecutive strings are scanned joined,
(consecutive values of the body, consecutive messages, consecutive user turns), so a value
split across two messages or two fields is still found; such a *split* value is
not removed by per-string redaction, so it is reported apart (``details["split"]``) and
privacy closure never counts it as redacted. Payloads the scan cannot read (a base64 file, a
token-id prompt) add the type ``OPAQUE``: an external model that is not allowed ``OPAQUE`` does
not get them. A text the detector could not scan completely, or a scan cut by the request's
deadline, makes the result an error: the request is private.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from router_extproc.endpoints import spec
from router_extproc.endpoints.body_text import TextPath, path_text
from router_extproc.pii import PiiDetector
from router_extproc.pii.spans import PiiSpan
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import PiiSignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts

CHUNK_CHARS = 65536
"""Strings are scanned together up to this many characters per detector call."""
SEAM_CHARS = 128
"""Characters each side of a seam between two strings scanned joined (PII values are short, even spaced out)."""
SEPARATOR = "\n" + "\x1e" * 6 + "\n"
"""Between strings in one chunk: ASCII record separators, neither a word, a digit nor a space to
patterns, so one string's end never reads as the context of the next string's value (detectors
look around a match for cue words and neighbouring numbers)."""
OPAQUE = "OPAQUE"


@dataclass
class _Chunk:
    text: str
    starts: list[int]
    """Offset of each string in ``text``."""
    strings: list[int]
    """Index of each string (in the request's list) at ``starts``."""


def _chunks(texts: Sequence[str]) -> list[_Chunk]:
    out: list[_Chunk] = []
    parts: list[str] = []
    starts: list[int] = []
    strings: list[int] = []
    size = 0
    for index, text in enumerate(texts):
        if parts and size + len(text) > CHUNK_CHARS:
            out.append(_Chunk(SEPARATOR.join(parts), starts, strings))
            parts, starts, strings, size = [], [], [], 0
        starts.append(size)
        strings.append(index)
        parts.append(text)
        size += len(text) + len(SEPARATOR)
    if parts:
        out.append(_Chunk(SEPARATOR.join(parts), starts, strings))
    return out


def _owner(chunk: _Chunk, position: int) -> int:
    """Index (into the chunk's strings) of the string holding ``position``."""
    low, high = 0, len(chunk.starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if chunk.starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low


class PiiScanner:
    ref = "pii"

    @classmethod
    def from_spec(cls, spec: PiiSignalSpec, artifacts: SharedArtifacts) -> PiiScanner:
        return cls(spec.types)

    def __init__(self, types: Sequence[str]) -> None:
        self._detector = PiiDetector(tuple(types))

    def evaluate(self, view: RequestView) -> SignalResult:
        request = view.request
        paths: list[TextPath] = []
        texts: list[str] = []
        opaque = 1 if request.opaque_prompt else 0
        for path, text, kind in spec(request.endpoint).texts(request.body):
            if kind == "text":
                paths.append(path)
                texts.append(text)
            elif kind == "opaque":
                opaque += 1
        found: list[dict] = []
        types: set[str] = set()
        tricks: set[str] = set()
        limits: list[str] = []
        for chunk in _chunks(texts):
            view.deadline.check("pii scan")
            scan = self._detector.scan(chunk.text)
            types |= scan.types
            tricks |= scan.tricks
            limits += list(scan.limits)
            found += [self._place(chunk, span, paths) for span in scan.spans]
        values = [text for path, text in zip(paths, texts, strict=True) if not path or path[-1] != ""]
        conversation = [m.text for m in request.messages if m.text]
        user = [m.text for m in request.messages if m.text and m.role == "user"]
        pairs = [*zip(values, values[1:]), *zip(conversation, conversation[1:]), *zip(user, user[1:])]
        split, seam_limits = self._seams(pairs, view)
        types |= split
        limits += seam_limits
        if opaque:
            types.add(OPAQUE)
        details: dict = {"spans": found, "tricks": sorted(tricks), "split": sorted(split), "opaque": opaque}
        if limits:
            details["limits"] = limits
            return SignalResult(self.ref, True, float(len(found)), 1.0, frozenset(types), details,
                                error="unscannable: " + "; ".join(sorted(set(limits))))
        return SignalResult(self.ref, bool(types), float(len(found)), max((f["score"] for f in found), default=1.0),
                            frozenset(types), details)

    @staticmethod
    def _place(chunk: _Chunk, span: PiiSpan, paths: list[TextPath]) -> dict:
        """A span as ``{type, path, start, end, score}`` in its own string (no text: details are logged)."""
        first = _owner(chunk, span.start)
        offset = chunk.starts[first]
        return {"type": span.type, "path": path_text(paths[chunk.strings[first]]), "start": span.start - offset,
                "end": span.end - offset, "score": round(span.score, 2)}

    def _seams(self, pairs: list[tuple[str, str]], view: RequestView) -> tuple[set[str], list[str]]:
        """Types found only across a seam: the end of one string joined to the start of the next,
        for consecutive values of the body and consecutive messages of the conversation (a value
        split across two messages is read as the model reads it); and the bounds that scan hit."""
        joined: list[str] = []
        seams: list[int] = []  # position of each window's seam in the joined text
        size = 0
        for left, right in pairs:
            a, b = left[-SEAM_CHARS:], right[:SEAM_CHARS]
            if not (a and b):
                continue
            for glue in ("", " "):
                joined.append(a + glue + b)
                seams.append(size + len(a))
                size += len(a) + len(glue) + len(b) + len(SEPARATOR)
        if not joined:
            return set(), []
        view.deadline.check("pii scan")
        scan = self._detector.scan(SEPARATOR.join(joined))
        split = set()
        for span in scan.spans:
            # the nearest seam at or before the span's end: the span crosses it if it starts before
            k = bisect.bisect_left(seams, span.end) - 1
            if k >= 0 and span.start < seams[k]:
                split.add(span.type)
        return split, list(scan.limits)
