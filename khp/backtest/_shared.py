"""Query answers shared by the sides of a backtest at one evaluation time.

The current and the candidate configuration evaluate the same monitors at the same time, so
they ask the same queries (thresholds only change comparisons, not what is read). The first
side to ask runs the query; the other gets the answer. ``clear()`` between evaluation times
keeps memory to one time's answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from khp.records import ProcessState
from khp.sources import LogQuery, MetricQuery, ProcessQuery, Sample, Sources

T = TypeVar("T")


class SharedAnswers:
    """Wraps ``sources``: an identical query asked again before ``clear()`` is answered from memory."""

    def __init__(self, sources: Sources) -> None:
        self.inner = sources
        self.asked = 0
        self.ran = 0
        self._answers: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self.sources = Sources(metrics=_Metrics(self), logs=_Logs(self), processes=_Processes(self))

    def clear(self) -> None:
        """Forget the answers (call it before the next evaluation time)."""
        with self._lock:
            self._answers = {}

    def answer(self, key: Hashable, call: Callable[[], T]) -> T:
        """``call()``'s result, run once per ``key`` until ``clear()``; a failure is shared as well."""
        with self._lock:
            self.asked += 1
            future = self._answers.get(key)
            mine = future is None
            if future is None:
                future = self._answers[key] = Future()
                self.ran += 1
        if mine:
            try:
                future.set_result(call())
            except BaseException as exc:  # the other side must see the same failure
                future.set_exception(exc)
        return future.result()


class _Metrics:
    def __init__(self, shared: SharedAnswers) -> None:
        self._shared = shared

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        return self._shared.answer(("metrics", query), lambda: self._shared.inner.metrics.query(query))


class _Logs:
    def __init__(self, shared: SharedAnswers) -> None:
        self._shared = shared

    def count(self, query: LogQuery) -> Sequence[Sample]:
        return self._shared.answer(("logs", query), lambda: self._shared.inner.logs.count(query))

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> Sequence[Sample]:
        key = ("raw", json.dumps(body, sort_keys=True, default=str), index)
        return self._shared.answer(key, lambda: self._shared.inner.logs.raw(body, index))


class _Processes:
    def __init__(self, shared: SharedAnswers) -> None:
        self._shared = shared

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        return self._shared.answer(("states", query), lambda: self._shared.inner.processes.states(query))

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return self._shared.answer(("seen", query), lambda: self._shared.inner.processes.seen(query))

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return self._shared.answer(("unreachable", query), lambda: self._shared.inner.processes.unreachable(query))
