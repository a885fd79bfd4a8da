"""The router's own deadline for one request, below Envoy's ext_proc message timeout.

Past it, unfinished work counts as failed: a gate follows its ``on_error``, an unfinished PII
scan makes the request private, and the router answers while Envoy still waits, so Envoy's
fail-open path is left for a router that is really down. Work checks the deadline between
bounded steps (cooperative: a thread cannot be interrupted), so what outlives its request
stops soon after.
"""

from __future__ import annotations

import time


class DeadlineExceeded(RuntimeError):
    """The request's deadline passed before this work finished."""


class Deadline:
    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._at = None if seconds is None else time.monotonic() + seconds

    def expired(self) -> bool:
        return self._at is not None and time.monotonic() >= self._at

    def check(self, what: str) -> None:
        """Raise ``DeadlineExceeded`` (naming ``what`` was cut short) when the deadline has passed."""
        if self.expired():
            raise DeadlineExceeded(f"{what}: past the request's {self.seconds:.3g} s deadline")


NO_DEADLINE = Deadline(None)
