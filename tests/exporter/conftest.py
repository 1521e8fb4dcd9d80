"""Fixtures for the exporter's tests: a known cycle built from real evaluator objects, and a registry over it."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from evaluator import CycleRecord, CycleResult, MonitorRecord, Problem
from exporter import ExporterState, KhpCollector, render

AT = 1795946400.0  # 2026-11-29T10:00:00Z
STARTED = AT + 5.0

DISK = Problem(
    check="Disk usage",
    monitor="HdfsMonitor",
    cluster="alpha",
    host="a-dn1",
    severity="critical",
    value=97.5,
    compare=">",
    threshold=95.0,
    description="Disk above threshold",
    source="hdfs.py#L10",
    service="hdfs",
)
SLOTS = Problem(
    check="Task slot usage",
    monitor="DruidMonitor",
    cluster="beta",
    host=None,
    severity="warning",
    value=82.0,
    compare=">",
    threshold=80.0,
    description="Task slots",
    source="druid.py#L5",
    service="druid",
)
FAILED = Problem(
    check="Monitor failed",
    monitor="KuduMonitor",
    cluster=None,
    host=None,
    severity="warning",
    value=None,
    compare=None,
    threshold=None,
    description="RuntimeError: boom",
    source="kudu.py#L3",
    service="khp",
    pending=0.0,
)


def known_cycle(
    problems: Iterable[Problem] = (DISK, SLOTS, FAILED),
    at: float = AT,
    seconds: float = 1.25,
    statuses: dict[str, str] | None = None,
    errors: dict[str, int] | None = None,
) -> CycleResult:
    """Three monitors (Kudu failed), ten queries of which two were shared, 1.25 s."""
    statuses = statuses or {"HdfsMonitor": "ok", "DruidMonitor": "ok", "KuduMonitor": "failed"}
    seconds_of = {"HdfsMonitor": 0.5, "DruidMonitor": 0.25, "KuduMonitor": 0.125}
    record = CycleRecord(at=at, started=STARTED, seconds=seconds)
    for name, status in statuses.items():
        record.monitors[name] = MonitorRecord(name, status, seconds_of.get(name, 0.0), 1, 3)
    stats = record.queries
    stats.requested, stats.executed, stats.peak_in_flight = 10, 8, 4
    stats.seconds = {"metrics": 1.5, "processes": 0.25}
    stats.counts = {"metrics": 6, "processes": 2}
    stats.errors = dict(errors or {})
    stats.failed = sum(stats.errors.values())
    return CycleResult(list(problems), record)


@pytest.fixture
def state() -> ExporterState:
    return ExporterState(alertmanager_urls=["http://127.0.0.1:9093"])


@pytest.fixture
def registry(state: ExporterState) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(KhpCollector(state))
    return registry


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str | bytes) -> Samples:
    """Every sample of an exposition as {(name, labels): value}; a duplicate series fails the test."""
    found: Samples = {}
    for family in text_string_to_metric_families(text.decode() if isinstance(text, bytes) else text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, f"duplicate series {key}"
            found[key] = sample.value
    return found


def scrape(registry: CollectorRegistry) -> Samples:
    return parse(render(registry))


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The samples of one metric name, by their labels."""
    return {labels: value for (n, labels), value in samples.items() if n == name}


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())
