"""One scan of one text: undo obfuscation, run the detectors, decode blobs, map spans back.

``PiiDetector.scan`` returns a ``PiiScan``: spans indexing the text the caller passed (so
actions can redact exactly), the types found (a blob's inner types too), the obfuscation
tricks that hid them, and whether the scan is *complete*. Every step is linear in the text
and the Python work per text is bounded by a ``Budget``; when a bound is hit the scan says
so (``complete`` False, ``limits`` naming the bound) and the caller must treat the text as
not scanned, i.e. private. ``find`` is the plain list of spans and raises
``PiiScanIncomplete`` rather than return a list that may miss something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from router_extproc.pii import rx
from router_extproc.pii.address import addresses
from router_extproc.pii.blobs import blobs
from router_extproc.pii.deobfuscate import Deobfuscated, deobfuscate
from router_extproc.pii.person import gazetteer, persons
from router_extproc.pii.phone import phones
from router_extproc.pii.spans import PiiSpan, resolve_overlaps
from router_extproc.pii.structured import cards, emails, ibans, ips, secrets, ssns

PII_TYPES = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET", "PERSON", "ADDRESS")

MAX_TEXT_CHARS = 8 << 20
"""Characters scanned per text; a longer text is scanned up to here and reported incomplete."""

Finder = Callable[[str, rx.Budget], list[PiiSpan]]

# Order matters only for the budget: cheap, precise detectors first.
_FINDERS: tuple[tuple[frozenset[str], Finder], ...] = (
    (frozenset({"EMAIL"}), emails),
    (frozenset({"SECRET"}), secrets),
    (frozenset({"CREDIT_CARD"}), cards),
    (frozenset({"IBAN"}), ibans),
    (frozenset({"US_SSN"}), ssns),
    (frozenset({"IP_ADDRESS"}), ips),
    (frozenset({"PHONE"}), phones),
    (frozenset({"ADDRESS"}), addresses),
    (frozenset({"PERSON"}), persons),
)


@dataclass(frozen=True)
class PiiScan:
    spans: list[PiiSpan]
    types: frozenset[str]
    """Types found, including those inside a decoded blob (whose span carries one type)."""
    tricks: frozenset[str]
    """Obfuscations undone to find a span (``spaced_digits``, ``base64``, ...)."""
    limits: tuple[str, ...] = ()
    """The bounds hit; non-empty means the text was not completely scanned."""

    @property
    def complete(self) -> bool:
        return not self.limits


class PiiScanIncomplete(RuntimeError):
    """A text was too large or too adversarial to scan within the per-text bounds."""

    def __init__(self, scan: PiiScan) -> None:
        super().__init__("; ".join(scan.limits))
        self.scan = scan


class PiiDetector:
    def __init__(self, types: tuple[str, ...] | frozenset[str] = PII_TYPES, max_chars: int = MAX_TEXT_CHARS,
                 max_candidates: int = rx.MAX_CANDIDATES) -> None:
        self.types = frozenset(types)
        self.max_chars = max_chars
        self.max_candidates = max_candidates
        self._finders = [finder for kinds, finder in _FINDERS if kinds & self.types]
        if "PERSON" in self.types:
            gazetteer()  # load at start, not on the first request

    def find(self, text: str) -> list[PiiSpan]:
        """The spans of ``text``, disjoint and sorted; raises ``PiiScanIncomplete`` when a
        per-text bound was hit (a shortened list would read as "nothing else here")."""
        scan = self.scan(text)
        if not scan.complete:
            raise PiiScanIncomplete(scan)
        return scan.spans

    def scan(self, text: str) -> PiiScan:
        budget = rx.Budget(self.max_candidates)
        if len(text) > self.max_chars:
            budget.exceed(f"text longer than {self.max_chars} characters")
            text = text[:self.max_chars]
        try:
            spans, inner_types = self._scan(text, budget, decode_blobs=True)
        finally:
            rx.forget()
        resolved = resolve_overlaps(spans)
        types = frozenset(s.type for s in resolved) | inner_types
        tricks = frozenset(t for s in resolved if s.trick for t in s.trick.split("+"))
        return PiiScan(resolved, types, tricks, tuple(budget.exhausted))

    def _scan(self, text: str, budget: rx.Budget, decode_blobs: bool) -> tuple[list[PiiSpan], frozenset[str]]:
        clean = deobfuscate(text, budget)
        found: list[PiiSpan] = []
        for finder in self._finders:
            found += finder(clean.text, budget)
        found = [s for s in found if s.type in self.types]
        inner: set[str] = set()
        if decode_blobs:
            for blob in blobs(clean.text, budget):
                hidden, hidden_inner = self._scan(blob.text, budget, decode_blobs=False)
                kinds = {s.type for s in hidden} | hidden_inner
                if kinds:
                    best = max(hidden, key=lambda s: s.score)
                    found.append(PiiSpan(best.type, blob.start, blob.end, best.score, blob.encoding))
                    inner |= kinds
        return [_to_original(clean, s) for s in found], frozenset(inner)


def _to_original(clean: Deobfuscated, span: PiiSpan) -> PiiSpan:
    start, end = clean.to_original(span.start, span.end)
    tricks = [*([span.trick] if span.trick else []), *clean.tricks_in(start, end)]
    if start == span.start and end == span.end and not tricks:
        return span
    return PiiSpan(span.type, start, end, span.score, "+".join(dict.fromkeys(tricks)))
