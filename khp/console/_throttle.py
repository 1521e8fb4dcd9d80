"""Log-in throttling: after ``limit`` failures in ``window`` for a user name or an address, wait.

Each failure is counted against the user name tried and the client's address; once either has
``limit`` failures inside the sliding ``window``, log-ins for it are refused (429, with
``Retry-After``) until its oldest failure leaves the window. A successful log-in clears its
user name's count. Counts live in each worker process: with N gunicorn workers an attacker gets
at most N x ``limit`` tries per window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

LIMIT = 5
WINDOW = 900.0


class LoginThrottle:
    """Failed log-ins per user name and per address, in a sliding window."""

    def __init__(self, limit: int = LIMIT, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, user: str, address: str) -> float:
        """Seconds until ``user`` from ``address`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(key, now) for key in _keys(user, address)]
        return max(waits)

    def failed(self, user: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in _keys(user, address):
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > 10000:  # forget the oldest keys rather than grow without end
                for key in list(self._failures)[:1000]:
                    del self._failures[key]

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{user}", None)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[-self.limit] + self.window - now


def _keys(user: str, address: str) -> tuple[str, str]:
    return f"user:{user.lower()[:64]}", f"address:{address}"
