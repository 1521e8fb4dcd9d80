"""Queries are lazy and parallel, and identical queries of one cycle run once (DESIGN §4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from evaluator import Evaluator, Monitor
from evaluator.testing import build_config, metric, process
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, MetricQuery, Sample, Sources
from khp.store import Store

from .helpers import AT, Probe, write_rows

PATHS = [f"hdfs/datanode/metric{i}" for i in range(20)]


class SlowMetrics:
    """The embedded metric source, each query taking a while; counts calls and how many ran at once."""

    def __init__(self, inner: EmbeddedMetrics, delay: float = 0.01, company: float = 0.5) -> None:
        self.inner = inner
        self.delay = delay
        self.company = company
        self.calls: list[MetricQuery] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._overlapped = threading.Event()

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        with self._lock:
            self.calls.append(query)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight > 1:
                self._overlapped.set()
        try:
            # Wait (a bounded while) for a second query to arrive: in parallel it does at once,
            # one after the other it never does, so the peak count says which it was.
            self._overlapped.wait(self.company)
            time.sleep(self.delay)
            return self.inner.query(query)
        finally:
            with self._lock:
                self.in_flight -= 1


class GatedMetrics:
    """The embedded metric source, whose queries start but do not finish until ``gate`` is set."""

    def __init__(self, inner: EmbeddedMetrics) -> None:
        self.inner = inner
        self.started = threading.Event()
        self.gate = threading.Event()
        self.finished = threading.Event()

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        self.started.set()
        self.gate.wait(10)
        try:
            return self.inner.query(query)
        finally:
            self.finished.set()


def sources_with(store: Store, metrics: object) -> Sources:
    return Sources(metrics, EmbeddedLogs(store), EmbeddedProcesses(store))  # type: ignore[arg-type]


class TwentyMetrics(Monitor):
    def run(self) -> None:
        vectors = [self.max(path) for path in PATHS]
        total = vectors[0]
        for vector in vectors[1:]:
            total = total + vector
        self.emit("Sum of twenty", warning=total > 0)


def test_twenty_metrics_in_one_monitor_run_in_parallel(store: Store) -> None:
    write_rows(store, [metric(path, 1, host="h1") for path in PATHS])
    slow = SlowMetrics(EmbeddedMetrics(store))
    with Evaluator(build_config(), sources_with(store, slow), [TwentyMetrics]) as evaluator:
        result = evaluator.cycle(at=AT)
    assert [(p.check, p.cluster, p.value) for p in result.problems] == [("Sum of twenty", "alpha", 20.0)]
    stats = result.record.queries
    assert (stats.requested, stats.executed) == (20, 20)
    assert stats.peak_in_flight > 1
    assert slow.peak > 1
    assert len(slow.calls) == 20
    assert result.record.monitors["TwentyMetrics"].queries == 20


def test_a_query_starts_when_asked_and_is_awaited_when_used(store: Store, dsl: Callable[..., Probe]) -> None:
    write_rows(store, [metric(PATHS[0], 7, host="h1")])
    gated = GatedMetrics(EmbeddedMetrics(store))
    monitor = dsl(sources=sources_with(store, gated))
    vector = monitor.max(PATHS[0]) * 2  # returns at once although the source is held up
    assert gated.started.wait(5)  # the query already runs in the background
    assert not gated.finished.is_set()
    gated.gate.set()
    assert vector.to_list() == [{"cluster": "alpha", "value": 14.0}]
    assert gated.finished.is_set()


class AskTwice(Monitor):
    def run(self) -> None:
        first = self.max(PATHS[0])
        second = self.max(PATHS[0])
        self.emit("Twice", warning=(first + second) > 0)


class AskOnceMore(Monitor):
    def run(self) -> None:
        self.emit("Again", warning=self.max(PATHS[0]) > 0)


class AskVariants(Monitor):
    def run(self) -> None:
        variants = [self.max(PATHS[0]), self.min(PATHS[0]), self.all(PATHS[0]), self.max(PATHS[0], window="1h")]
        for index, vector in enumerate(variants):
            self.emit(f"Variant {index}", warning=vector > 0)


def test_identical_queries_of_a_cycle_run_once_even_across_monitors(store: Store) -> None:
    write_rows(store, [metric(PATHS[0], 1, host="h1")])
    slow = SlowMetrics(EmbeddedMetrics(store), delay=0, company=0)
    with Evaluator(build_config(), sources_with(store, slow), [AskTwice, AskOnceMore]) as evaluator:
        result = evaluator.cycle(at=AT)
        assert [p.check for p in result.problems] == ["Again", "Twice"]
        stats = result.record.queries
        assert (stats.requested, stats.executed) == (3, 1)
        assert stats.as_dict()["deduplicated"] == 2
        assert len(slow.calls) == 1
        assert result.record.monitors["AskTwice"].queries == 2
        assert result.record.monitors["AskOnceMore"].queries == 1

        again = evaluator.cycle(at=AT)  # a new cycle asks again
        assert (again.record.queries.requested, again.record.queries.executed) == (3, 1)
        assert len(slow.calls) == 2


def test_queries_differing_in_aggregate_or_window_are_not_shared(store: Store) -> None:
    write_rows(store, [metric(PATHS[0], 1, host="h1")])
    slow = SlowMetrics(EmbeddedMetrics(store), delay=0, company=0)
    with Evaluator(build_config(), sources_with(store, slow), [AskVariants, AskOnceMore]) as evaluator:
        result = evaluator.cycle(at=AT)
    assert (result.record.queries.requested, result.record.queries.executed) == (5, 4)
    assert sorted((q.aggregate or "", q.end - q.start) for q in slow.calls) == [
        ("", 600.0),
        ("max", 600.0),
        ("max", 3600.0),
        ("min", 600.0),
    ]


class ProcessUser(Monitor):
    def run(self) -> None:
        self.emit("Fatal", warning=self.process_count("FATAL") > 0)
        self.emit("Few", warning=self.running_count("zookeeper/server") < 3)
        self.emit("Silent", warning=self.silent_hosts() > 0)


class OtherProcessUser(Monitor):
    def run(self) -> None:
        self.emit("Backoff", warning=self.process_count("BACKOFF") > 0)
        self.emit("Hosts", warning=self.host_count("zookeeper/server") < 3)


def test_process_and_inventory_queries_are_shared_too(store: Store) -> None:
    write_rows(store, [process("zookeeper-server", "FATAL", host="zk1"), process("zookeeper-server", host="zk2")])
    sources = sources_with(store, EmbeddedMetrics(store))
    with Evaluator(build_config(), sources, [ProcessUser, OtherProcessUser]) as evaluator:
        result = evaluator.cycle(at=AT)
    assert result.record.queries.executed == 2  # the states in the window and the inventory
    assert result.record.queries.requested > 2
    assert result.record.queries.counts == {"processes": 2}
    assert sorted(p.check for p in result.problems) == ["Fatal", "Few", "Hosts"]


class Snapshot(Monitor):
    def run(self) -> None:
        self.emit("Seen", warning=self.all(PATHS[0]) >= 0)


def test_a_cycle_at_a_past_time_sees_the_data_of_that_time_only(store: Store) -> None:
    write_rows(store, [metric(PATHS[0], 1, ago="2h"), metric(PATHS[0], 2, ago="1m")])
    with Evaluator(build_config(), sources_with(store, EmbeddedMetrics(store)), [Snapshot]) as evaluator:
        past = evaluator.cycle(at=AT - 7200)
        between = evaluator.cycle(at=AT - 3600)
        now = evaluator.cycle(at=AT)
    assert [p.value for p in past.problems] == [1.0]
    assert [p.check for p in between.problems] == ["Data stale"]  # an hour without metrics from alpha
    assert [p.value for p in now.problems] == [2.0]
    assert (past.record.at, now.record.at) == (AT - 7200, AT)


def test_without_a_time_the_cycle_runs_at_the_clock(store: Store) -> None:
    write_rows(store, [metric(PATHS[0], 1, ago="2h"), metric(PATHS[0], 2, ago="1m")])
    sources = sources_with(store, EmbeddedMetrics(store))
    with Evaluator(build_config(), sources, [Snapshot], clock=lambda: AT - 7200) as evaluator:
        result = evaluator.cycle()
    assert result.record.at == AT - 7200
    assert result.record.started == AT - 7200
    assert [p.value for p in result.problems] == [1.0]
