"""Run a policy's signals over one request: one shared view, per-signal timing, safe failures."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from router_extproc.deadline import NO_DEADLINE, Deadline, DeadlineExceeded
from router_extproc.encoder.tokenizer import WordPieceTokenizer
from router_extproc.endpoints import ParsedRequest
from router_extproc.policy.spec import Signals
from router_extproc.signals.artifacts import SharedArtifacts
from router_extproc.signals.base import Signal, SignalResult, SignalUnavailable
from router_extproc.signals.registry import build_signals, on_error_policy
from router_extproc.signals.view import RequestView

log = logging.getLogger(__name__)

PRIVACY_PII = "_privacy_pii"
"""A PII scan the router runs for privacy closure when the policy declares no ``pii`` signal
but has external models; not addressable by rules."""


class SignalEngine:
    def __init__(self, spec: Signals, artifacts: SharedArtifacts, privacy_scan: bool = False) -> None:
        self._artifacts = artifacts
        self.signals: list[Signal] = build_signals(spec, artifacts)
        if privacy_scan:
            from router_extproc.policy.spec import PiiSignalSpec
            from router_extproc.signals.pii import PiiScanner

            scanner = PiiScanner(PiiSignalSpec().types)
            scanner.ref = PRIVACY_PII
            self.signals.append(scanner)
        self._on_error = on_error_policy(spec)
        self._scan_chars = spec.jailbreak.max_scan_chars if spec.jailbreak is not None else None
        if any(not s.ref.startswith(("keyword:", "modality")) for s in self.signals):
            artifacts.featurizer  # load the tokenizer and static table now, not on the first request  # noqa: B018

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        """The tokenizer every signal's view uses (to count tokens the same way)."""
        return self._artifacts.featurizer.tokenizer

    def view(self, request: ParsedRequest, deadline: Deadline = NO_DEADLINE) -> RequestView:
        return RequestView(request, self._artifacts.featurizer, self._scan_chars, deadline)

    def compute(self, view: RequestView) -> dict[str, SignalResult]:
        """Every signal's result on one request's shared view. A signal that raises (or is cut
        by the request's deadline) is logged; a safety gate then reports its ``on_error`` choice
        (``block``: matched), any other signal is left out (a missing PII scan: private)."""
        results: dict[str, SignalResult] = {}
        for signal in self.signals:
            started_ns = time.time_ns()
            started = time.perf_counter()
            try:
                view.deadline.check(signal.ref)
                result = signal.evaluate(view)
            except Exception as exc:
                if isinstance(exc, SignalUnavailable | DeadlineExceeded):
                    log.info("signal %s unavailable: %s", signal.ref, exc)
                else:
                    log.exception("signal %s failed", signal.ref)
                gate = self._on_error.get(signal.ref)
                if gate is None:
                    continue
                result = SignalResult(signal.ref, gate == "block", 1.0 if gate == "block" else 0.0, 0.0,
                                      frozenset({"error"}), error=f"{type(exc).__name__}: {exc}")
            elapsed = (time.perf_counter() - started) * 1000
            results[signal.ref] = replace(result, latency_ms=round(elapsed, 3), started_ns=started_ns)
        return results
