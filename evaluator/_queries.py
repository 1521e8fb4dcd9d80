"""Queries of one cycle: run in a shared pool, each distinct query once, with counts kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueryStats:
    """What the queries of a cycle did: how many, how many were shared, how many ran at once."""

    requested: int = 0
    executed: int = 0
    failed: int = 0
    peak_in_flight: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # total query time per source kind
    counts: dict[str, int] = field(default_factory=dict)  # queries per source kind
    errors: dict[str, int] = field(default_factory=dict)  # failed queries per source kind

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "executed": self.executed,
            "deduplicated": self.requested - self.executed,
            "failed": self.failed,
            "peak_in_flight": self.peak_in_flight,
            "seconds": {k: round(v, 6) for k, v in self.seconds.items()},
            "counts": dict(self.counts),
            "errors": dict(self.errors),
        }


class CycleQueries:
    """Starts queries in ``pool`` and hands out futures; an identical query gets the same future."""

    def __init__(self, pool: ThreadPoolExecutor, clock: Callable[[], float] = time.perf_counter) -> None:
        self._pool = pool
        self._clock = clock
        self._futures: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self.stats = QueryStats()

    def submit(self, kind: str, key: Hashable, call: Callable[[], Any]) -> Future:
        """The future of ``call()``; started now unless the same ``(kind, key)`` already was this cycle."""
        with self._lock:
            self.stats.requested += 1
            existing = self._futures.get((kind, key))
            if existing is not None:
                return existing
            self.stats.executed += 1
            future = self._pool.submit(self._run, kind, call)
            self._futures[(kind, key)] = future
            return future

    def _run(self, kind: str, call: Callable[[], Any]) -> Any:
        with self._lock:
            self._in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self._in_flight)
        started = self._clock()
        failed = False
        try:
            return call()
        except BaseException:
            failed = True
            raise
        finally:
            elapsed = self._clock() - started
            with self._lock:
                self._in_flight -= 1
                self.stats.seconds[kind] = self.stats.seconds.get(kind, 0.0) + elapsed
                self.stats.counts[kind] = self.stats.counts.get(kind, 0) + 1
                if failed:
                    self.stats.failed += 1
                    self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1
