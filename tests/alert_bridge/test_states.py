"""The state table in the store file: what is kept, and that only what changed is written."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from alert_bridge import FIRING, PENDING, RESOLVED, AlertBridge, AlertState, StateStore, StateStoreError
from khp.store import CycleLog, Store

from .conftest import T0, AlertSink, config, cycle, problem


def test_states_round_trip_with_every_field(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "khp.db")
    states = [
        AlertState(problem(host="h1"), PENDING, since=T0),
        AlertState(
            problem(host="h2", pending=0.0),
            FIRING,
            since=T0,
            fired=T0,
            last_sent=T0 + 60,
            valid_until=T0 + 300,
            starts_at=T0 + 1.5,
            undelivered=frozenset({"http://am1", "http://gone"}),
        ),
        AlertState(
            problem(host=None, cluster=None, check="Monitor failed", value=None),
            RESOLVED,
            since=T0,
            fired=T0,
            resolved=T0 + 120,
            last_sent=T0 + 120,
            starts_at=T0,
            ends_at=T0 + 121,
        ),
    ]
    assert store.save(states, []) == 3
    store.close()
    loaded = StateStore(tmp_path / "khp.db").load(urls=["http://am1", "http://am2"])
    expected = {s.key: s for s in states}
    expected[states[1].key] = dataclasses.replace(states[1], undelivered=frozenset({"http://am1"}))
    assert loaded == expected  # an Alertmanager no longer configured is no longer waited for


def test_the_table_lives_beside_the_metric_tables_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    Store(path).close()
    CycleLog(path)
    StateStore(path).save([AlertState(problem(), PENDING, since=T0)], [])
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"alert_states", "series", "points", "cycles"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_unreadable_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    store = StateStore(path)
    store.save([AlertState(problem(), PENDING, since=T0)], [])
    with sqlite3.connect(path) as conn:
        insert = "INSERT INTO alert_states VALUES (?, ?, 0, NULL, NULL, NULL, NULL, NULL, NULL, '[]', ?, NULL, '')"
        conn.execute(insert, ("x", "exploded", "{}"))
        conn.execute(insert, ("y", "pending", '{"check": "only a check"}'))
    assert list(store.load()) == [problem().key]


def test_an_unusable_store_path_is_named(tmp_path: Path) -> None:
    (tmp_path / "khp.db").mkdir()
    with pytest.raises(StateStoreError, match=r"cannot open the alert state table in .*khp\.db"):
        StateStore(tmp_path / "khp.db")


def test_each_cycle_writes_only_what_changed(tmp_path: Path, sink: AlertSink) -> None:
    problems = [problem(host=f"h{i}") for i in range(1000)]
    with AlertBridge(config(tmp_path / "khp.db", [sink.url])) as bridge:
        assert bridge.process(cycle(T0, problems)).written == 1000  # all new: pending
        moved = [dataclasses.replace(p, value=99.0) for p in problems]
        assert bridge.process(cycle(T0 + 60, moved)).written == 0  # still pending: nothing to write
        report = bridge.process(cycle(T0 + 120, moved[10:]))
        assert len(report.reset) == 10 and report.written == 10  # ten rows deleted
        report = bridge.process(cycle(T0 + 180, [*moved[10:], problem(host="new", pending=0.0)]))
        assert len(report.fired) == 1 and report.written == 1
        report = bridge.process(cycle(T0 + 300, moved[10:]))
        assert len(report.fired) == 990 and len(report.resolved) == 1 and report.written == 991
    with sqlite3.connect(tmp_path / "khp.db") as conn:
        counts = conn.execute("SELECT phase, count(*) FROM alert_states GROUP BY phase ORDER BY phase").fetchall()
    assert counts == [("firing", 990), ("resolved", 1)]
