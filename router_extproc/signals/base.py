"""The one interface every signal implements, and the result it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from router_extproc.signals.view import RequestView


@dataclass(frozen=True)
class SignalResult:
    """What a signal found.

    ``matched`` is what a bare ``{signal: ref}`` rule tests; ``score`` what ``gte``/``lte``
    compare; ``labels`` what ``is`` tests (a domain, PII types, media kinds, a language).
    ``confidence`` says how sure the signal is of its label (a probability for heads).
    ``error`` is set when the signal failed and its result is the policy's ``on_error`` choice.
    """

    ref: str
    matched: bool
    score: float = 0.0
    confidence: float = 1.0
    labels: frozenset[str] = frozenset()
    details: dict[str, Any] | None = field(default=None, compare=False)
    latency_ms: float = 0.0
    error: str | None = None
    started_ns: int = field(default=0, compare=False)
    """Wall-clock start (ns since the epoch), so a trace can place the signal's span."""


class Signal(Protocol):
    """A named fact about a request; ``ref`` is how rules name it (``domain``, ``keyword:code``)."""

    ref: str

    def evaluate(self, view: RequestView) -> SignalResult: ...


class SignalUnavailable(RuntimeError):
    """The signal could not judge this request (e.g. the text is beyond what it may read in
    time). Not a bug: logged without a traceback; a gate then follows its ``on_error``."""
