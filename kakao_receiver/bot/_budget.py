"""A time budget for the Alertmanager requests of one chat answer: Kakao waits 5 seconds, no more.

``Budget(4.0).session()`` is a ``requests.Session`` whose every request gets at most what is left
of the budget as its timeout, once ``with budget.running():`` has started the clock (per thread,
so concurrent answers each have their own). A request when nothing is left fails at once with
``requests.Timeout``, which the silences client reports as ``AlertmanagerUnavailable``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping

import requests
from requests.adapters import HTTPAdapter

Timeout = float | tuple[float, float] | tuple[float, None] | None
Certificate = bytes | str | tuple[bytes | str, bytes | str] | None


class Budget:
    """``seconds`` for all requests made through ``session()`` inside one ``running()`` block."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._local = threading.local()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._local.deadline = self.clock() + self.seconds
        try:
            yield
        finally:
            self._local.deadline = None

    def left(self) -> float | None:
        """Seconds left, or None outside ``running()``."""
        deadline = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline - self.clock()

    def session(self) -> requests.Session:
        session = requests.Session()
        adapter = _BudgetAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


class _BudgetAdapter(HTTPAdapter):
    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Certificate = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        left = self.budget.left()
        if left is not None:
            if left <= 0:
                raise requests.Timeout(f"the bot's {self.budget.seconds:g}s budget for this answer is spent")
            timeout = _within(timeout, left)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def _within(timeout: Timeout, left: float) -> Timeout:
    if timeout is None:
        return left
    if isinstance(timeout, tuple):
        connect, read = timeout
        return (min(connect, left), left if read is None else min(read, left))
    return min(float(timeout), left)
