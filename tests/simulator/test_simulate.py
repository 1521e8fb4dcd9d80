"""``simulate`` writes into the store exactly what ``rows_at`` returns, step by step."""

from __future__ import annotations

from collections import Counter

import pytest

from khp.simulator import Fleet, simulate, step_times
from khp.store import Store

from .conftest import AT

PATHS = [
    ("host", "os", "disk.free_percent"),
    ("hdfs", "namenode", "MissingBlocks"),
    ("kafka", "controller", "ActiveControllerCount"),
    ("hbase", "regionserver", "jvm.gc_time_ms"),
]


def test_simulate_and_rows_at_agree(store: Store) -> None:
    fleet = Fleet(clusters=12, seed=6, fault_rate=4)
    steps: list[tuple[int, int]] = []
    summary = simulate(store, fleet, AT - 600, AT, step=60, progress=lambda *a: steps.append(a))

    assert steps == [(i, 11) for i in range(1, 12)]
    batches = [fleet.rows_at(t, since=t - 60) for t in step_times(AT - 600, AT, 60)]
    assert summary.metrics == sum(len(b.metrics) for b in batches) == store.counts()["metrics"]
    assert summary.logs == sum(len(b.logs) for b in batches) == store.counts()["logs"]
    assert summary.process_states == sum(len(b.processes) for b in batches) == store.counts()["processes"]
    assert summary.faults == len(fleet.faults_between(AT - 660, AT + 1)) > 0
    for t, batch in zip(step_times(AT - 600, AT, 60), batches, strict=True):
        for service, role, name in PATHS:
            stored = store.latest_values(service, role, name, t - 1, t)
            made = sorted(
                (r.cluster, r.host, r.value)
                for r in batch.metrics
                if (r.service, r.role, r.name) == (service, role, name)
            )
            assert stored == made
        assert store.process_states(t - 1, t) == sorted(batch.processes, key=lambda p: (p.cluster, p.host, p.name))
        for service, role in (("hbase", "regionserver"), ("zookeeper", "server"), ("host", "kernel")):
            lines = store.log_counts(service, role, "*", t - 60, t)
            made = Counter((r.cluster, r.host) for r in batch.logs if (r.service, r.role) == (service, role))
            assert {(c, h): n for c, h, n in lines} == made


def test_the_summary_counts_the_fleet(store: Store) -> None:
    fleet = Fleet(clusters=5, seed=1)
    summary = simulate(store, fleet, AT, AT + 120, step=60)

    assert (summary.steps, summary.clusters, summary.hosts, summary.processes) == (3, 5, fleet.hosts, fleet.processes)
    assert summary.process_states == 3 * fleet.processes - _silent_states(fleet, AT, AT + 120)
    assert summary.rows == summary.metrics + summary.logs + summary.process_states
    assert summary.rows_per_second > 0
    assert summary.as_dict()["steps"] == 3


def _silent_states(fleet: Fleet, start: float, end: float) -> int:
    silent = 0
    for t in (start, start + 60, end):
        for fault in fleet.active_faults(t):
            if fault.kind == "host_silent":
                silent += len(fleet.cluster(fault.cluster).host(fault.host or "").programs)
    return silent


def test_step_times_include_both_ends() -> None:
    assert step_times(0, 180, 60) == [0, 60, 120, 180]
    assert step_times(0, 170, 60) == [0, 60, 120]
    assert step_times(5, 5, 60) == [5]
    with pytest.raises(ValueError, match="positive"):
        step_times(0, 60, 0)
    with pytest.raises(ValueError, match="before it starts"):
        step_times(60, 0, 10)
