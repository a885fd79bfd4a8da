"""Keyword and regex rules: the cheapest, most auditable signal."""

from __future__ import annotations

import re

from ..policy.models import KeywordSignal
from .base import SignalResult
from .text_scope import text_in_scope
from .view import RequestView


class KeywordMatcher:
    """Substring (``any``/``all``) and regex matching, compiled once per policy load."""

    def __init__(self, spec: KeywordSignal) -> None:
        self.ref = f"keyword:{spec.name}"
        self._scope = spec.scope
        flags = 0 if spec.case_sensitive else re.IGNORECASE
        self._fold = (lambda s: s) if spec.case_sensitive else str.casefold
        self._any = [self._fold(k) for k in spec.any]
        self._all = [self._fold(k) for k in spec.all]
        self._regex = [re.compile(p, flags) for p in spec.regex]

    def evaluate(self, view: RequestView) -> SignalResult:
        raw = text_in_scope(view.request, self._scope)
        text = self._fold(raw)
        hit = next((k for k in self._any if k in text), None)
        if hit is None and self._all and all(k in text for k in self._all):
            hit = "+".join(self._all)
        if hit is None:
            match = next((m for m in (r.search(raw) for r in self._regex) if m), None)
            hit = match.re.pattern if match else None
        matched = hit is not None
        return SignalResult(self.ref, matched, 1.0 if matched else 0.0, 1.0, frozenset({hit}) if matched else frozenset())
