"""Current problems read from the bridge's table, read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from khp.console import read_problems

from .helpers import default_problems, problem, put_problems


def test_missing_store_has_no_problems_and_is_not_created(tmp_path: Path) -> None:
    assert read_problems(tmp_path / "var" / "khp.db") == []
    assert not (tmp_path / "var").exists()


def test_store_without_the_table(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    sqlite3.connect(path).close()
    assert read_problems(path) == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_pending_and_firing_problems_critical_first(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    put_problems(path, [*default_problems(), (problem("Gone", "alpha"), "resolved")])
    found = read_problems(path)
    assert [(p.problem.cluster, p.problem.severity, p.phase) for p in found] == [
        ("alpha", "critical", "pending"),
        ("alpha", "warning", "firing"),
        ("beta", "warning", "firing"),
        ("delta", "warning", "firing"),
    ]
    assert [p.problem.check for p in read_problems(path, "beta")] == ["Disk space low"]
    firing = found[1]
    assert firing.fired is not None and firing.since < firing.fired


def test_a_row_of_another_version_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    put_problems(path, default_problems()[:1])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alert_states SET problem = '{\"unexpected\": 1}'")
    assert read_problems(path) == []
