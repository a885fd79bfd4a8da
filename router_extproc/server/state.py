"""The router in force, swapped atomically on a policy reload.

A stream takes the router once at its start, so a reload never changes the policy under a
request in flight; ``status`` is what metrics and health report about reloads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from router_extproc.routing.router import Router


@dataclass
class ReloadStatus:
    version: str
    source: str
    reloads_ok: int = 0
    reloads_failed: int = 0
    last_error: str | None = None


class RouterState:
    """The router in force. Swapping is one reference assignment, atomic for readers."""

    def __init__(self, router: Router, source: str = "") -> None:
        self._router = router
        self._lock = threading.Lock()
        self.status = ReloadStatus(router.version, source)

    def current(self) -> Router:
        return self._router

    @property
    def policy_name(self) -> str:
        return self._router.policy.name

    def replace(self, router: Router) -> None:
        with self._lock:
            self._router = router
            self.status.version = router.version
            self.status.reloads_ok += 1
            self.status.last_error = None

    def keep(self) -> None:
        """The newest file is the one in force (written back after a rejected one)."""
        with self._lock:
            self.status.last_error = None

    def reject(self, error: str) -> None:
        with self._lock:
            self.status.reloads_failed += 1
            self.status.last_error = error
