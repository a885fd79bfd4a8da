"""A once-per-interval gate for expensive log output (tracebacks) on paths that can repeat
per request: the line stays, the traceback comes at most once per interval."""

from __future__ import annotations

import threading
import time


class Throttle:
    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._next = 0.0
        self._lock = threading.Lock()
        self.suppressed = 0
        """How many calls were refused since the last allowed one."""

    def allow(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self.suppressed += 1
                return False
            self._next = now + self.interval
            self.suppressed = 0
            return True
