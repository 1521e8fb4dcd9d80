"""``Store.write_bulk``: the same tables as writing row by row, in one transaction."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from khp.records import LogRow, MetricRow, ProcessState
from khp.store import Bulk, Store, StoreError

AT = 1795946400.0  # 2026-11-29T10:00:00Z
_TABLES = {
    "points": "SELECT s.service, s.role, s.name, s.cluster, s.host, p.ts, p.value"
    " FROM points p JOIN series s ON s.id = p.series",
    "latest": "SELECT service, role, name, cluster, host, ts, value FROM latest",
    **{name: f"SELECT * FROM {name}" for name in ("logs", "processes", "process_current", "process_inventory")},
}


def _rows(draw: random.Random) -> tuple[list[MetricRow], list[LogRow], list[ProcessState]]:
    metrics = [
        MetricRow(AT + 60 * step, f"c{c}", f"h{h}", "host", "os", name, round(draw.uniform(0, 100), 2))
        for c in range(3)
        for h in range(7)
        for name in ("cpu.user", "load.1m")
        for step in range(40)
    ]
    logs = [
        LogRow(AT + draw.uniform(0, 2400), f"c{draw.randrange(3)}", "h1", "hbase", "regionserver", "WARN", f"line {i}")
        for i in range(1234)
    ]
    processes = [
        ProcessState(
            AT + 60 * draw.randrange(40),  # not in time order, and a process twice at one time
            f"c{draw.randrange(2)}",
            f"h{draw.randrange(4)}",
            draw.choice(("hdfs-datanode", "yarn-nodemanager")),
            draw.choice(("RUNNING", "FATAL", "STOPPED")),
            pid=i,
            description=f"state {i}",
        )
        for i in range(1500)
    ]
    return metrics, logs, processes


def _bulk(metrics: list[MetricRow], logs: list[LogRow], processes: list[ProcessState]) -> Bulk:
    by_series: dict[tuple[str, str, str, str, str], list[MetricRow]] = {}
    for row in sorted(metrics, key=lambda r: r.time):
        by_series.setdefault((row.service, row.role, row.name, row.cluster, row.host), []).append(row)
    series = []
    for key, rows in by_series.items():  # each series in two entries: a bulk may hold one several times
        for part in (rows[:25], rows[25:]):
            series.append((key, [r.time for r in part], [r.value for r in part]))
    lines = [(r.time, r.cluster, r.host, r.service, r.role, r.level, r.message) for r in logs]
    columns = ("time", "cluster", "host", "name", "group", "statename", "state", "start", "stop", "pid")
    states = [(*(getattr(p, c) for c in columns), p.exitstatus, p.spawnerr, p.description) for p in processes]
    return Bulk.of(series, lines, states)


def _tables(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in _TABLES.items()}


def test_a_bulk_write_stores_what_writing_row_by_row_stores(tmp_path: Path) -> None:
    metrics, logs, processes = _rows(random.Random(15))
    one, two = Store(tmp_path / "rows.db"), Store(tmp_path / "bulk.db")
    one.write_metrics(metrics)
    one.write_logs(logs)
    one.write_processes(processes)

    assert two.write_bulk(_bulk(metrics, logs, processes)) == (len(metrics), len(logs), len(processes))
    assert _tables(tmp_path / "rows.db") == _tables(tmp_path / "bulk.db")
    assert two.process_states(AT - 1, AT + 3600) == one.process_states(AT - 1, AT + 3600)


def test_processes_in_time_order_take_the_quick_way_to_the_same_tables(tmp_path: Path) -> None:
    _metrics, _logs, processes = _rows(random.Random(16))
    processes.sort(key=lambda p: p.time)
    one, two = Store(tmp_path / "rows.db"), Store(tmp_path / "bulk.db")
    one.write_processes(processes)
    two.write_bulk(_bulk([], [], processes))

    assert _tables(tmp_path / "rows.db") == _tables(tmp_path / "bulk.db")


def test_a_failed_bulk_write_writes_nothing_and_later_writes_of_its_series_are_kept(store: Store) -> None:
    key = ("hdfs", "datanode", "disk.used", "alpha", "h1")
    line = (AT, "alpha", "h1", "hbase", "regionserver", "WARN", "slow")
    with pytest.raises(StoreError, match="NOT NULL constraint failed"):
        store.write_bulk(Bulk.of([(key, [AT - 60, AT], [1.0, float("nan")])], [line]))  # SQLite stores NaN as NULL
    assert store.counts() == {"metrics": 0, "logs": 0, "processes": 0}

    store.write_bulk(Bulk.of([(key, [AT], [2.0])]))
    assert store.latest_values("hdfs", "datanode", "disk.used", AT - 600, AT) == [("alpha", "h1", 2.0)]


def test_series_of_many_clusters_and_series_another_store_made_get_their_ids(tmp_path: Path) -> None:
    def points(clusters: range, value: float) -> list:
        return [(("host", "os", "cpu.user", f"c{c:03d}", "h1"), [AT], [value]) for c in clusters]

    Store(tmp_path / "khp.db").write_bulk(Bulk.of(points(range(0, 10), 1.0)))  # another writer of the file
    store = Store(tmp_path / "khp.db")
    store.write_bulk(Bulk.of(points(range(5, 15), 2.0)))  # some new, some made by the other
    store.write_bulk(Bulk.of(points(range(0, 250), 3.0)))  # too many clusters to name in one read

    assert store.latest_values("host", "os", "cpu.user", AT - 60, AT) == [(f"c{c:03d}", "h1", 3.0) for c in range(250)]
    assert _tables(tmp_path / "khp.db")["points"] == [
        ("host", "os", "cpu.user", f"c{c:03d}", "h1", AT, 3.0) for c in range(250)
    ]
