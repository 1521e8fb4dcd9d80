"""The evaluator's cycle: monitors in parallel, failures and timeouts as problems, the cycle record."""

from __future__ import annotations

import dataclasses
import inspect
import json
import threading
from collections.abc import Sequence

import pytest

from evaluator import (
    MONITOR_FAILED,
    MONITOR_TIMED_OUT,
    SOURCE_UNAVAILABLE,
    CycleResult,
    Evaluator,
    Monitor,
    Problem,
)
from evaluator.testing import build_config, metric, process
from khp.configuration import Config, EvaluationConfig
from khp.sources import (
    EmbeddedLogs,
    EmbeddedMetrics,
    EmbeddedProcesses,
    MetricQuery,
    Sample,
    SourceError,
    Sources,
    SourceUnavailable,
)
from khp.store import Store

from .helpers import AT, write_rows

DISK = "hdfs/datanode/disk.used_percent"


class Healthy(Monitor):
    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 80)


class Broken(Monitor):
    def run(self) -> None:
        self.all(DISK)
        raise RuntimeError("boom")


class BadPath(Monitor):
    def run(self) -> None:
        self.all("disk.used_percent")


class DruidWatcher(Monitor):
    def run(self) -> None:
        self.emit("Slots", warning=self.max("druid/overlord/taskSlot.used.count") > 0)


class FatalWatcher(Monitor):
    def run(self) -> None:
        self.emit("Fatal", warning=self.process_count("FATAL") > 0)


class DruidDown:
    """The embedded metric source, except that Druid's metrics fail as ``error`` says."""

    def __init__(self, inner: EmbeddedMetrics, error: SourceError) -> None:
        self.inner = inner
        self.error = error

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        if query.service == "druid":
            raise self.error
        return self.inner.query(query)


def config_with(**evaluation: float) -> Config:
    return dataclasses.replace(build_config(), evaluation=EvaluationConfig(**evaluation))  # type: ignore[arg-type]


@pytest.fixture
def sources(store: Store) -> Sources:
    write_rows(
        store,
        [
            metric(DISK, 95, cluster="alpha", host="a-dn1"),
            metric(DISK, 85, cluster="beta", host="b-dn1"),
            metric("druid/overlord/taskSlot.used.count", 5, host="o1"),
            process("hdfs-datanode", "FATAL", cluster="beta", host="b-dn1", spawnerr="Exited too quickly"),
        ],
    )
    return Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))


def cycle(config: Config, sources: Sources, monitors: list[type[Monitor]], **kwargs: object) -> CycleResult:
    with Evaluator(config, sources, monitors) as evaluator:
        return evaluator.cycle(at=AT, **kwargs)  # type: ignore[arg-type]


def checks(result: CycleResult) -> list[tuple[str, str, str | None]]:
    return [(p.check, p.monitor, p.cluster) for p in result.problems]


def class_link(monitor: type[Monitor]) -> str:
    return f"tests/evaluator/test_evaluator.py#L{inspect.getsourcelines(monitor)[1]}"


BOOM_LINE = inspect.getsourcelines(Broken)[1] + 3  # raise RuntimeError("boom")


def test_every_monitor_runs_and_its_problems_come_back_sorted(sources: Sources) -> None:
    result = cycle(build_config(), sources, [Healthy, FatalWatcher, DruidWatcher])
    assert checks(result) == [
        ("Slots", "DruidWatcher", "alpha"),
        ("Disk", "Healthy", "alpha"),  # by cluster, host (none first), check
        ("Disk", "Healthy", "beta"),
        ("Fatal", "FatalWatcher", "beta"),
    ]
    assert result.failed_monitors == []
    assert {name: record.status for name, record in result.record.monitors.items()} == {
        "Healthy": "ok",
        "FatalWatcher": "ok",
        "DruidWatcher": "ok",
    }


def test_a_monitor_that_raises_is_a_problem_and_the_others_still_report(sources: Sources) -> None:
    result = cycle(build_config(), sources, [Healthy, Broken, FatalWatcher])
    assert checks(result) == [
        (MONITOR_FAILED, "Broken", None),
        ("Disk", "Healthy", "alpha"),
        ("Disk", "Healthy", "beta"),
        ("Fatal", "FatalWatcher", "beta"),
    ]
    failure = result.problems[0]
    assert failure == Problem(
        check="Monitor failed",
        monitor="Broken",
        cluster=None,
        host=None,
        severity="warning",
        value=None,
        compare=None,
        threshold=None,
        description=f"RuntimeError: boom (at test_evaluator.py:{BOOM_LINE})",
        source=f"tests/evaluator/test_evaluator.py#L{BOOM_LINE}",  # the line that raised
        service="khp",
        pending=0.0,
    )
    assert result.failed_monitors == ["Broken"]
    record = result.record.monitors["Broken"]
    assert (record.status, record.problems, record.queries) == ("failed", 0, 1)
    assert record.error == f"RuntimeError: boom (at test_evaluator.py:{BOOM_LINE})"
    assert record.traceback.startswith("Traceback (most recent call last):")
    assert f'line {BOOM_LINE}, in run\n    raise RuntimeError("boom")' in record.traceback
    assert result.record.monitors["Healthy"].status == "ok"


def test_a_dsl_error_fails_its_monitor(sources: Sources) -> None:
    result = cycle(build_config(), sources, [BadPath, Healthy])
    (failure,) = [p for p in result.problems if p.monitor == "BadPath"]
    assert failure.check == MONITOR_FAILED
    assert failure.description.startswith("DslError: 'disk.used_percent' is not a metric path")
    assert len(result.problems) == 3


@pytest.mark.parametrize(
    "error",
    [SourceUnavailable("druid http://druid:8082", "connection refused"), SourceError("druid", "bad SQL")],
)
def test_a_source_error_is_source_unavailable_and_the_others_still_report(
    store: Store, sources: Sources, error: SourceError
) -> None:
    broken = dataclasses.replace(sources, metrics=DruidDown(EmbeddedMetrics(store), error))
    result = cycle(build_config(), broken, [DruidWatcher, Healthy])
    assert checks(result) == [
        (SOURCE_UNAVAILABLE, "DruidWatcher", None),
        ("Disk", "Healthy", "alpha"),
        ("Disk", "Healthy", "beta"),
    ]
    failure = result.problems[0]
    assert failure.severity == "critical"
    assert failure.description == f"{type(error).__name__}: {error}"
    assert failure.source == class_link(DruidWatcher)
    assert result.failed_monitors == ["DruidWatcher"]
    assert result.record.monitors["DruidWatcher"].status == "failed"
    stats = result.record.queries
    assert (stats.failed, stats.errors) == (1, {"metrics": 1})


def test_a_hung_monitor_times_out_and_is_skipped_while_still_running(sources: Sources) -> None:
    release = threading.Event()

    class Hanging(Monitor):
        def run(self) -> None:
            release.wait(30)

    evaluator = Evaluator(config_with(monitor_timeout=0.5), sources, [Healthy, Hanging])
    try:
        first = evaluator.cycle(at=AT)
        assert checks(first) == [
            (MONITOR_TIMED_OUT, "Hanging", None),
            ("Disk", "Healthy", "alpha"),
            ("Disk", "Healthy", "beta"),
        ]
        assert first.problems[0].description == "did not finish within 0.5s"
        assert first.problems[0].severity == "warning"
        assert first.record.monitors["Hanging"].status == "timeout"
        assert first.record.monitors["Healthy"].status == "ok"
        assert first.failed_monitors == ["Hanging"]

        second = evaluator.cycle(at=AT + 60)
        assert checks(second)[0] == (MONITOR_TIMED_OUT, "Hanging", None)
        assert second.problems[0].description.startswith("still running, started ")
        assert second.record.monitors["Hanging"].status == "skipped"
        assert second.record.monitors["Healthy"].status == "ok"
        assert second.failed_monitors == ["Hanging"]
        assert len(second.problems) == 3
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "khp-monitor-Hanging":
                thread.join(10)
    third = evaluator.cycle(at=AT + 120)
    evaluator.close()
    assert third.record.monitors["Hanging"].status == "ok"
    assert third.failed_monitors == []


def test_monitors_run_one_at_a_time_when_so_configured(sources: Sources) -> None:
    result = cycle(config_with(parallel_monitors=1), sources, [Healthy, Broken, FatalWatcher, DruidWatcher])
    assert sorted(result.record.monitors) == ["Broken", "DruidWatcher", "FatalWatcher", "Healthy"]
    assert result.failed_monitors == ["Broken"]
    assert len(result.problems) == 5


def test_a_cycle_can_run_some_monitors_and_some_clusters(sources: Sources) -> None:
    with Evaluator(build_config(), sources, [Healthy, FatalWatcher]) as evaluator:
        only_healthy = evaluator.cycle(at=AT, monitors=[Healthy])
        only_beta = evaluator.cycle(at=AT, clusters=["beta"])
    assert list(only_healthy.record.monitors) == ["Healthy"]
    assert {p.monitor for p in only_healthy.problems} == {"Healthy"}
    assert checks(only_beta) == [("Disk", "Healthy", "beta"), ("Fatal", "FatalWatcher", "beta")]


def test_the_cycle_record_says_what_happened(sources: Sources) -> None:
    with Evaluator(build_config(), sources, [Healthy, Broken, FatalWatcher], clock=lambda: AT + 5) as evaluator:
        result = evaluator.cycle(at=AT)
    record = result.record
    assert (record.at, record.started) == (AT, AT + 5)
    assert record.seconds >= 0
    healthy = record.monitors["Healthy"]
    assert (healthy.name, healthy.status, healthy.problems, healthy.queries, healthy.error) == (
        "Healthy",
        "ok",
        2,
        1,
        "",
    )
    assert healthy.seconds >= 0
    assert record.failed == ["Broken"]
    assert (record.queries.requested, record.queries.executed) == (3, 2)  # Healthy and Broken share DISK
    assert record.queries.counts == {"metrics": 1, "processes": 1}
    assert record.queries.failed == 0
    assert record.queries.peak_in_flight >= 1

    shown = record.as_dict()
    assert json.loads(json.dumps(shown)) == shown
    assert set(shown) == {"at", "started", "seconds", "monitors", "queries"}
    assert list(shown["monitors"]) == ["Broken", "FatalWatcher", "Healthy"]
    assert shown["monitors"]["Broken"] == {
        "status": "failed",
        "seconds": shown["monitors"]["Broken"]["seconds"],
        "problems": 0,
        "queries": 1,
        "error": f"RuntimeError: boom (at test_evaluator.py:{BOOM_LINE})",
    }
    assert set(shown["queries"]) == {
        "requested",
        "executed",
        "deduplicated",
        "failed",
        "peak_in_flight",
        "seconds",
        "counts",
        "errors",
    }
    assert (shown["queries"]["requested"], shown["queries"]["deduplicated"]) == (3, 1)


def test_an_evaluator_without_monitors_has_an_empty_cycle(sources: Sources) -> None:
    result = cycle(build_config(), sources, [])
    assert (result.problems, result.failed_monitors, result.record.monitors) == ([], [], {})
