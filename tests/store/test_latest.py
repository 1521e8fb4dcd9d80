"""The latest-point table answers exactly what a scan of every point answers, at any evaluation time.

The store keeps each series' newest point to answer "latest value per host in the window" with
one index range; these tests compare its answers with a plain Python scan of everything written,
for windows at and before the newest data, after out-of-order and repeated writes, prunes,
several writing processes, and a store file written before the table existed.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from khp.records import MetricRow
from khp.store import AGGREGATES, Store

Points = dict[tuple[str, str, str], dict[float, float]]  # (name, cluster, host) -> time -> value


def remember(points: Points, rows: Iterable[MetricRow]) -> None:
    """What the store should hold after ``rows``: of two points of a series at one time, the later written."""
    for r in rows:
        points.setdefault((r.name, r.cluster, r.host), {})[r.time] = r.value


def expected_latest(
    points: Points, name: str, start: float, end: float, clusters: Sequence[str] | None = None
) -> list[tuple[str, str, float]]:
    found = []
    for (metric, cluster, host), series in points.items():
        if metric != name or (clusters is not None and cluster not in clusters):
            continue
        inside = [t for t in series if start < t <= end]
        if inside:
            found.append((cluster, host, series[max(inside)]))
    return sorted(found)


def expected_aggregate(rows: list[tuple[str, str, float]], aggregate: str) -> list[tuple[str, float]]:
    by_cluster: dict[str, list[float]] = {}
    for cluster, _host, value in rows:
        by_cluster.setdefault(cluster, []).append(value)
    functions = {"max": max, "min": min, "sum": sum, "avg": statistics.fmean, "count": len}
    return [(cluster, functions[aggregate](values)) for cluster, values in sorted(by_cluster.items())]


def check_every_window(store: Store, points: Points, names: Sequence[str], times: Sequence[float]) -> int:
    """Compare every query of the store with the scan, for windows ending at each of ``times``; count them."""
    checked = 0
    for name in names:
        for end in times:
            for width in (5.0, 30.0, 1000.0):
                for clusters in (None, ["c1"], ["c0", "c2"]):
                    rows = expected_latest(points, name, end - width, end, clusters)
                    assert store.latest_values("svc", "role", name, end - width, end, clusters) == rows
                    for aggregate in AGGREGATES:
                        got = store.aggregate_values(aggregate, "svc", "role", name, end - width, end, clusters)
                        want = expected_aggregate(rows, aggregate)
                        assert [c for c, _ in got] == [c for c, _ in want], (name, end, aggregate)
                        assert [v for _, v in got] == pytest.approx([v for _, v in want]), (name, end, aggregate)
                    checked += 1
    return checked


def random_rows(rng: random.Random, count: int, names: Sequence[str]) -> list[MetricRow]:
    return [
        MetricRow(
            float(rng.randrange(0, 100)),
            f"c{rng.randrange(3)}",
            f"h{rng.randrange(4)}",
            "svc",
            "role",
            rng.choice(names),
            round(rng.uniform(-50, 50), 3),
        )
        for _ in range(count)
    ]


def test_every_window_at_and_before_the_newest_data_is_answered_exactly(store: Store) -> None:
    rng = random.Random(14)
    names = ["disk", "load"]
    points: Points = {}
    for _ in range(8):  # batches out of time order, with repeated (series, time) points
        batch = random_rows(rng, 60, names)
        store.write_metrics(batch)
        remember(points, batch)
    assert check_every_window(store, points, names, [float(t) for t in range(0, 111, 3)]) > 100


def test_a_repeated_point_keeps_the_value_written_last(store: Store) -> None:
    row = MetricRow(50.0, "c0", "h0", "svc", "role", "disk", 1.0)
    store.write_metrics([row, replace(row, value=2.0)])  # in one batch
    assert store.latest_values("svc", "role", "disk", 0, 100) == [("c0", "h0", 2.0)]
    store.write_metrics([replace(row, value=3.0)])  # in a later one
    assert store.latest_values("svc", "role", "disk", 0, 100) == [("c0", "h0", 3.0)]
    store.write_metrics([replace(row, time=40.0, value=4.0)])  # older: the latest stays
    assert store.latest_values("svc", "role", "disk", 0, 100) == [("c0", "h0", 3.0)]
    assert store.latest_values("svc", "role", "disk", 0, 45) == [("c0", "h0", 4.0)]


def test_after_a_prune_the_answers_are_still_those_of_the_points_left(store: Store) -> None:
    rng = random.Random(15)
    names = ["disk"]
    rows = random_rows(rng, 300, names)
    store.write_metrics(rows)
    store.prune(60.0)
    points: Points = {}
    remember(points, [r for r in rows if r.time >= 60.0])
    check_every_window(store, points, names, [float(t) for t in range(55, 111, 5)])
    store.prune(1000.0)  # everything
    assert store.latest_values("svc", "role", "disk", 0, 2000) == []
    assert store.aggregate_values("count", "svc", "role", "disk", 0, 2000) == []


def test_a_cluster_with_no_host_in_the_window_has_no_aggregate(store: Store) -> None:
    store.write_metrics(
        [
            MetricRow(90.0, "c0", "h0", "svc", "role", "disk", 0.0),
            MetricRow(10.0, "c1", "h0", "svc", "role", "disk", 5.0),
            MetricRow(95.0, "c1", "h1", "svc", "role", "disk", 6.0),  # after the end: c1 has nothing inside
        ]
    )
    for aggregate in AGGREGATES:
        answer = store.aggregate_values(aggregate, "svc", "role", "disk", 50, 92)
        assert [cluster for cluster, _value in answer] == ["c0"], aggregate
    assert store.aggregate_values("sum", "svc", "role", "disk", 50, 92) == [("c0", 0.0)]


def test_a_store_written_before_the_latest_table_gets_it_filled_when_opened(tmp_path: Path) -> None:
    rng = random.Random(16)
    names = ["disk", "load"]
    rows = random_rows(rng, 400, names)
    first = Store(tmp_path / "khp.db")
    first.write_metrics(rows)
    first.close()
    with sqlite3.connect(tmp_path / "khp.db") as conn:  # as an earlier version left the file
        conn.execute("DROP TABLE latest")
    store = Store(tmp_path / "khp.db")
    points: Points = {}
    remember(points, rows)
    check_every_window(store, points, names, [float(t) for t in range(0, 111, 10)])
    store.close()


WRITER = textwrap.dedent(
    """
    import random
    import sys
    from khp.records import MetricRow
    from khp.store import Store

    path, me = sys.argv[1], int(sys.argv[2])
    store = Store(path)
    times = [float(t) for t in range(me, 300, 3)]  # each writer its own times of the same series
    random.Random(me).shuffle(times)
    for start in range(0, len(times), 5):
        store.write_metrics([MetricRow(t, "c0", "h0", "svc", "role", "disk", t * 10) for t in times[start:start + 5]])
    store.close()
    """
)


def test_several_processes_writing_one_series_out_of_order_leave_its_true_latest(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    Store(path).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(me)], stderr=subprocess.PIPE, text=True)
        for me in range(3)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    store = Store(path)
    assert store.counts()["metrics"] == 300
    for end in (299.0, 1000.0, 150.5, 3.0):
        newest = float(int(end)) if end < 299 else 299.0
        assert store.latest_values("svc", "role", "disk", 0, end) == [("c0", "h0", newest * 10)]
    store.close()


def test_several_processes_opening_an_older_store_at_once_fill_the_table_once(tmp_path: Path) -> None:
    from .test_store import run_workers

    path = tmp_path / "khp.db"
    first = Store(path)
    first.write_metrics([MetricRow(500.0 + i, "beta", "h1", "hdfs", "datanode", "m1", float(i)) for i in range(50)])
    first.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE latest")
    run_workers(path, ["w1", "w2", "w3"], batches=3, go=tmp_path / "go")
    store = Store(path)
    rows = store.latest_values("hdfs", "datanode", "m1", 0, 10000)
    assert rows == [("alpha", "w1", 2.0), ("alpha", "w2", 2.0), ("alpha", "w3", 2.0), ("beta", "h1", 49.0)]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM latest WHERE cluster = 'beta'").fetchone() == (1,)
    store.close()
