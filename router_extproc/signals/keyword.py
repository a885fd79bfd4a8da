"""Keyword and regex rules: the cheapest, most auditable signal.

Regexes run on client text, so they run on RE2 (``google-re2``): linear time whatever the
pattern and the text, no backtracking for a crafted prompt to exploit. Patterns RE2 cannot
run (look-arounds, back-references) are refused when the policy is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router_extproc.policy.spec import KeywordSignal, compile_linear
from router_extproc.signals.base import SignalResult
from router_extproc.signals.text_scope import text_in_scope
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.signals.artifacts import SharedArtifacts


class KeywordMatcher:
    """Substring (``any``/``all``) and regex matching, compiled once per policy load."""

    @classmethod
    def from_spec(cls, spec: KeywordSignal, artifacts: SharedArtifacts) -> KeywordMatcher:
        return cls(spec)

    def __init__(self, spec: KeywordSignal) -> None:
        self.ref = f"keyword:{spec.name}"
        self._scope = spec.scope
        self._fold = (lambda s: s) if spec.case_sensitive else str.casefold
        self._any = [self._fold(k) for k in spec.any]
        self._all = [self._fold(k) for k in spec.all]
        self._regex = [compile_linear(p, spec.case_sensitive) for p in spec.regex]

    def evaluate(self, view: RequestView) -> SignalResult:
        raw = text_in_scope(view.request, self._scope)
        text = self._fold(raw)
        hit = next((k for k in self._any if k in text), None)
        if hit is None and self._all and all(k in text for k in self._all):
            hit = "+".join(self._all)
        if hit is None:
            match = next((m for m in (r.search(raw) for r in self._regex) if m), None)
            hit = match.re.pattern if match else None
        if hit is None:
            return SignalResult(self.ref, False, 0.0, 1.0, frozenset())
        return SignalResult(self.ref, True, 1.0, 1.0, frozenset({hit}))
