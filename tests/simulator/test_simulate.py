"""``simulate`` writes into the store exactly what ``rows_at`` returns, step by step."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from khp.simulator import Fleet, simulate, step_times
from khp.store import Store

from .conftest import AT
from .planted import PLANTED

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

    assert steps == sorted(steps) and steps[-1] == (11, 11)
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


def test_no_cluster_or_no_kind_writes_nothing(store: Store) -> None:
    fleet = Fleet(clusters=2, seed=1)
    assert simulate(store, fleet, AT - 600, AT, clusters=[]).rows == 0
    assert simulate(store, fleet, AT - 600, AT, kinds=()).rows == 0
    assert store.counts() == {"metrics": 0, "logs": 0, "processes": 0}


def test_step_times_include_both_ends() -> None:
    assert step_times(0, 180, 60) == [0, 60, 120, 180]
    assert step_times(0, 170, 60) == [0, 60, 120]
    assert step_times(5, 5, 60) == [5]
    with pytest.raises(ValueError, match="positive"):
        step_times(0, 60, 0)
    with pytest.raises(ValueError, match="before it starts"):
        step_times(60, 0, 10)


def test_the_rows_are_those_the_simulator_made_before_it_was_made_faster() -> None:
    """Digests of what ``rows_at`` gave before values, states and lines were made in bulk (at d0c9db5).

    Every fault a check has is planted, and random ones on top, so the paths for faults are
    covered too. A deliberate change of the simulated data changes these digests: print the
    new ones with this test's loop and say why in the commit.
    """
    fleet = Fleet(clusters=5, seed=3, fault_rate=12, faults=[plant.fault() for plant in PLANTED.values()])
    digests = {kind: hashlib.sha256() for kind in ("metrics", "logs", "processes")}
    for t in step_times(AT - 1200, AT + 1200, 60):
        batch = fleet.rows_at(t, since=t - 60)
        for kind, digest in digests.items():
            digest.update(repr([dataclasses.astuple(row) for row in getattr(batch, kind)]).encode())

    assert {kind: digest.hexdigest()[:16] for kind, digest in digests.items()} == {
        "metrics": "782ea22ec9c4aea3",
        "logs": "d061b1bc53274cd9",
        "processes": "70dfdb05b2372723",
    }


def test_a_second_process_making_the_rows_writes_the_same_store(tmp_path: Path) -> None:
    # A day and an hour: the metrics come in two spans, and the other rows in 26 chunks.
    fleet = Fleet(clusters=2, seed=2, fault_rate=20, hosts_per_cluster=5)
    start, end = AT - 25 * 3600, AT
    here, apart = Store(tmp_path / "here.db"), Store(tmp_path / "apart.db")
    steps: list[tuple[int, int]] = []

    one = simulate(here, fleet, start, end, parallel=False)
    two = simulate(apart, fleet, start, end, parallel=True, progress=lambda *a: steps.append(a))

    assert (one.metrics, one.logs, one.process_states) == (two.metrics, two.logs, two.process_states)
    assert one.metrics > 1500 * 100 and one.logs > 0 and one.faults > 100
    assert _differences(tmp_path / "here.db", tmp_path / "apart.db") == dict.fromkeys(_TABLES, 0)
    assert steps == sorted(steps) and steps[-1] == (1501, 1501)
    for t in (start, start + 1439 * 60, start + 1440 * 60, end):  # the first and last step of each span of metrics
        batch = fleet.rows_at(t, since=t - 60)
        assert sorted(apart.latest_values("host", "os", "cpu.user", t - 1, t)) == sorted(
            (r.cluster, r.host, r.value) for r in batch.metrics if r.name == "cpu.user"
        )
        assert apart.process_states(t - 1, t) == sorted(batch.processes, key=lambda p: (p.cluster, p.host, p.name))


_TABLES = {
    "points": "SELECT s.service, s.role, s.name, s.cluster, s.host, p.ts, p.value"
    " FROM {db}.points p JOIN {db}.series s ON s.id = p.series",
    "latest": "SELECT service, role, name, cluster, host, ts, value FROM {db}.latest",
    **{name: f"SELECT * FROM {{db}}.{name}" for name in ("logs", "processes", "process_current", "process_inventory")},
}


def _differences(one: Path, two: Path) -> dict[str, int]:
    """Per table, the rows of one store that the other lacks, either way, and the difference in counts."""
    with sqlite3.connect(one) as conn:
        conn.execute("ATTACH ? AS two", (str(two),))
        found = {}
        for name, select in _TABLES.items():
            mine, theirs = select.format(db="main"), select.format(db="two")
            (missing,) = conn.execute(f"SELECT COUNT(*) FROM ({mine} EXCEPT {theirs})").fetchone()
            (extra,) = conn.execute(f"SELECT COUNT(*) FROM ({theirs} EXCEPT {mine})").fetchone()
            (count,) = conn.execute(
                f"SELECT (SELECT COUNT(*) FROM ({mine})) - (SELECT COUNT(*) FROM ({theirs}))"
            ).fetchone()
            found[name] = missing + extra + abs(count)
        return found
