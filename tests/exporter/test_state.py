"""The state across cycles: counters only grow, the histogram counts every cycle, and a real cycle goes in."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from evaluator import SOURCE_UNAVAILABLE, Evaluator, Monitor
from evaluator.testing import build_config, metric
from exporter import ExporterState, render
from khp.sources import (
    EmbeddedLogs,
    EmbeddedMetrics,
    EmbeddedProcesses,
    MetricQuery,
    Sample,
    Sources,
    SourceUnavailable,
)
from khp.store import Store

from .conftest import AT, DISK, Samples, known_cycle, labels, parse, scrape, series

COUNTERS = (
    "khp_monitor_errors_total",
    "khp_query_duration_seconds_total",
    "khp_queries_total",
    "khp_query_errors_total",
    "khp_queries_deduplicated_total",
    "khp_alertmanager_send_errors_total",
    "khp_cycle_duration_seconds_bucket",
    "khp_cycle_duration_seconds_count",
    "khp_cycle_duration_seconds_sum",
)
URL = "http://127.0.0.1:9093"
PEER = "http://127.0.0.1:9094"


def counters(samples: Samples) -> Samples:
    return {key: value for key, value in samples.items() if key[0] in COUNTERS}


def test_counters_never_go_down_across_cycles(state: ExporterState, registry: CollectorRegistry) -> None:
    cycles = [
        known_cycle(seconds=0.05),
        known_cycle(seconds=12.0, statuses={"HdfsMonitor": "timeout", "KuduMonitor": "ok"}, errors={"metrics": 1}),
        known_cycle(seconds=400.0, statuses={"HdfsMonitor": "skipped", "NewMonitor": "failed"}),
        known_cycle([], seconds=0.3, statuses={"HdfsMonitor": "ok"}),
    ]
    previous = counters(scrape(registry))
    for number, result in enumerate(cycles, start=1):
        state.update(result, send_errors={URL: number % 2})
        now = counters(scrape(registry))
        assert set(previous) <= set(now), "a counter series disappeared"
        assert all(now[key] >= value for key, value in previous.items()), "a counter went down"
        previous = now

    assert series(previous, "khp_cycle_duration_seconds_count") == {labels(): 4.0}
    assert series(previous, "khp_cycle_duration_seconds_sum") == {labels(): pytest.approx(412.35)}
    buckets = series(previous, "khp_cycle_duration_seconds_bucket")
    assert (buckets[labels(le="0.1")], buckets[labels(le="0.5")], buckets[labels(le="20.0")]) == (1.0, 2.0, 3.0)
    assert (buckets[labels(le="300.0")], buckets[labels(le="+Inf")]) == (3.0, 4.0)
    errors = series(previous, "khp_monitor_errors_total")
    assert errors[labels(monitor="HdfsMonitor", status="timeout")] == 1.0
    assert errors[labels(monitor="HdfsMonitor", status="skipped")] == 1.0
    assert errors[labels(monitor="KuduMonitor", status="failed")] == 1.0
    assert errors[labels(monitor="NewMonitor", status="failed")] == 1.0
    assert series(previous, "khp_queries_total")[labels(source="metrics")] == 24.0
    assert series(previous, "khp_query_errors_total")[labels(source="metrics")] == 1.0
    assert series(previous, "khp_queries_deduplicated_total") == {labels(): 8.0}
    assert series(previous, "khp_alertmanager_send_errors_total") == {labels(url=URL): 2.0}


def test_gauges_describe_the_last_cycle_only(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle())
    state.update(known_cycle([], at=AT + 60, statuses={"HdfsMonitor": "ok"}))
    samples = scrape(registry)
    assert series(samples, "khp_problem") == {}
    assert series(samples, "khp_monitor_up") == {labels(monitor="HdfsMonitor"): 1.0}
    assert series(samples, "khp_cycle_evaluation_timestamp_seconds") == {labels(): AT + 60}
    # counters keep the monitors they have seen
    assert labels(monitor="KuduMonitor", status="failed") in series(samples, "khp_monitor_errors_total")


def test_send_errors_of_a_new_url_start_a_series_and_known_urls_start_at_zero(
    state: ExporterState, registry: CollectorRegistry
) -> None:
    state.update(known_cycle(), send_errors={PEER: 3})
    assert series(scrape(registry), "khp_alertmanager_send_errors_total") == {
        labels(url=URL): 0.0,
        labels(url=PEER): 3.0,
    }


def test_a_negative_send_error_count_is_refused_and_changes_nothing(state: ExporterState) -> None:
    with pytest.raises(ValueError, match=r"send_errors must count new failures.*http://127.0.0.1:9093"):
        state.update(known_cycle(), send_errors={URL: -1})
    assert state.snapshot().cycles == 0


def test_scrapes_while_cycles_update_always_see_whole_cycles(state: ExporterState, registry: CollectorRegistry) -> None:
    sizes = [0, 1, 2, 3] * 10
    stop = threading.Event()
    seen: list[tuple[float, float]] = []

    def scraper() -> None:
        while not stop.is_set():
            samples = parse(render(registry))
            total = sum(series(samples, "khp_problems").values())
            seen.append((total, float(len(series(samples, "khp_problem")))))

    thread = threading.Thread(target=scraper)
    thread.start()
    try:
        for n in sizes:
            hosts = [dataclasses.replace(DISK, host=f"h{i}") for i in range(n)]
            state.update(known_cycle(hosts))
    finally:
        stop.set()
        thread.join()
    assert all(total == count for total, count in seen), "a scrape mixed two cycles"
    assert state.snapshot().cycles == len(sizes)


# -- a real cycle ---------------------------------------------------------------------------------

DISK_PATH = "hdfs/datanode/disk.used_percent"


class DiskWatcher(Monitor):
    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK_PATH) > 80)


class SlotWatcher(Monitor):
    def run(self) -> None:
        self.emit("Slots", warning=self.max("druid/overlord/taskSlot.used.count") > 0)


class DruidDown:
    """The embedded metric source, except that Druid does not answer."""

    def __init__(self, inner: EmbeddedMetrics) -> None:
        self.inner = inner

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        if query.service == "druid":
            raise SourceUnavailable("druid http://127.0.0.1:1", "connection refused")
        return self.inner.query(query)


def test_a_real_cycle_with_an_unavailable_source(
    store: Store, state: ExporterState, registry: CollectorRegistry
) -> None:
    store.write("metrics", [metric(DISK_PATH, 95, cluster="alpha", host="a-dn1").at(AT)])
    sources = Sources(DruidDown(EmbeddedMetrics(store)), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(build_config(), sources, [DiskWatcher, SlotWatcher]) as evaluator:
        result = evaluator.cycle(at=AT)
    state.update(result)
    samples = scrape(registry)

    problems = {(dict(k)["check"], dict(k)["monitor"], dict(k)["cluster"]) for k in series(samples, "khp_problem")}
    assert problems == {("Disk", "DiskWatcher", "alpha"), (SOURCE_UNAVAILABLE, "SlotWatcher", "")}
    assert series(samples, "khp_source_up") == {labels(source="metrics"): 0.0}
    assert series(samples, "khp_monitor_up") == {labels(monitor="DiskWatcher"): 1.0, labels(monitor="SlotWatcher"): 0.0}
    assert series(samples, "khp_queries_total")[labels(source="metrics")] == 2.0
    assert series(samples, "khp_query_errors_total")[labels(source="metrics")] == 1.0
    assert series(samples, "khp_cycle_evaluation_timestamp_seconds") == {labels(): AT}
