"""How fresh each feed is: the newest sample seen per source kind and cluster, and "Data stale".

A *feed* is what one kind of source (metrics, logs, processes) sends about one cluster. Each
cycle's queries note the newest sample time they saw, per kind, cluster and path; ``Feeds``
keeps the newest per feed across cycles (and, with a ``FeedMemory``, across restarts), because
once a feed stops, the window soon holds nothing of it at all. A feed whose newest sample is
older than ``evaluation.stale_after`` (per cluster) is one "Data stale" problem, critical,
instead of a silent gap in every check that reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from khp.configuration import Config, format_duration, format_time

from ._problem import DATA_STALE, Problem

FeedKey = tuple[str, str]
"""(source kind, cluster)."""

FEED_SEVERITY = "critical"


def feed_monitor(kind: str) -> str:
    """The ``monitor`` label of a feed's "Data stale" problem: ``metrics feed``, ``logs feed``..."""
    return f"{kind} feed"


def stale_key(kind: str, cluster: str) -> tuple[str, str, str, None, str]:
    """The problem key of a feed's "Data stale"."""
    return (DATA_STALE, feed_monitor(kind), cluster, None, FEED_SEVERITY)


class FeedObservations:
    """What one cycle's queries saw: the newest sample time per feed and per (feed, path). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.newest: dict[FeedKey, float] = {}
        self.paths: dict[tuple[str, str, str], float] = {}
        self.pending: list[Future] = []  # freshness queries nobody awaits; the cycle waits for them

    def note(self, kind: str, cluster: str, path: str, time: float) -> None:
        with self._lock:
            key = (kind, cluster)
            if time > self.newest.get(key, float("-inf")):
                self.newest[key] = time
            if time > self.paths.get((kind, cluster, path), float("-inf")):
                self.paths[(kind, cluster, path)] = time

    def track(self, future: Future) -> Future:
        with self._lock:
            self.pending.append(future)
        return future


class FeedMemory(Protocol):
    """Where ``Feeds`` keeps the newest time of each feed between runs (``khp.store.FeedLog``)."""

    def load(self) -> Mapping[FeedKey, float]: ...

    def save(self, newest: Mapping[FeedKey, float]) -> None: ...

    def forget(self, feeds: Iterable[FeedKey]) -> None: ...


@dataclass(frozen=True)
class FeedVerdict:
    """A cycle's judgement of the feeds: "Data stale" problems, and the stale keys known to be fine."""

    problems: list[Problem]
    fine: frozenset[tuple]


class Feeds:
    """The newest sample time of every feed seen so far; ``judge`` says which are stale."""

    def __init__(self, memory: FeedMemory | None = None) -> None:
        self.memory = memory
        self._newest: dict[FeedKey, float] = dict(memory.load()) if memory is not None else {}

    @property
    def newest(self) -> Mapping[FeedKey, float]:
        return dict(self._newest)

    def update(self, seen: Mapping[FeedKey, float]) -> None:
        changed = {key: time for key, time in seen.items() if time > self._newest.get(key, float("-inf"))}
        self._newest.update(changed)
        if changed and self.memory is not None:
            self.memory.save(changed)

    def judge(self, at: float, config: Config, scope: Iterable[str] | None = None) -> FeedVerdict:
        """Stale feeds as problems; fresh ones (and feeds forgotten now) as fine.

        A feed of a cluster without a cluster file that has been stale for ``inventory.window``
        is forgotten (a cluster taken out of service); a cluster file says the cluster should report.
        """
        wanted = set(scope) if scope is not None else None
        problems: list[Problem] = []
        fine: set[tuple] = set()
        forgotten: list[FeedKey] = []
        for (kind, cluster), newest in sorted(self._newest.items()):
            if wanted is not None and cluster not in wanted:
                continue
            age = at - newest
            limit = config.stale_after(cluster)
            if age <= limit:
                fine.add(stale_key(kind, cluster))
            elif cluster not in config.clusters and age > limit + config.inventory.window:
                forgotten.append((kind, cluster))
                fine.add(stale_key(kind, cluster))
            else:
                problems.append(_stale(kind, cluster, newest, age, limit))
        if forgotten:
            for key in forgotten:
                del self._newest[key]
            if self.memory is not None:
                self.memory.forget(forgotten)
        return FeedVerdict(problems, frozenset(fine))


def _stale(kind: str, cluster: str, newest: float, age: float, limit: float) -> Problem:
    return Problem(
        check=DATA_STALE,
        monitor=feed_monitor(kind),
        cluster=cluster,
        host=None,
        severity=FEED_SEVERITY,
        value=None,
        compare=None,
        threshold=None,
        description=(
            f"nothing from the {kind} source for {cluster} newer than {format_time(newest)}"
            f" ({format_duration(age)} ago; stale after {format_duration(limit)})"
        ),
        source="",
        service="khp",
        pending=0.0,
    )
