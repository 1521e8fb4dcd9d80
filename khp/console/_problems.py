"""The current problems: the alert bridge's ``alert_states`` table, read read-only.

The bridge (``khp run``) owns the table; the console opens the store file with
``mode=ro`` and never creates, locks for writing or changes anything in it. A store that does
not exist yet, or has no table yet, simply has no problems.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from evaluator import Problem

TABLE = "alert_states"  # alert_bridge._states.TABLE
FLAPPING_TABLE = "alert_flapping"  # alert_bridge._flapping.TABLE
LIVE_PHASES = ("firing", "pending")
_FIELDS = frozenset(f.name for f in dataclasses.fields(Problem))


class ProblemsUnavailable(Exception):
    """The store file exists but cannot be read (corrupt, locked for too long, unreadable)."""


@dataclass(frozen=True)
class CurrentProblem:
    """A problem the bridge holds as pending or firing, since ``since`` (fired at ``fired``)."""

    problem: Problem
    phase: str
    since: float
    fired: float | None
    flapping: float | None = None  # held firing as flapping since then

    @property
    def cluster(self) -> str:
        return self.problem.cluster or ""


def read_problems(store: Path, cluster: str | None = None) -> list[CurrentProblem]:
    """The pending and firing problems in ``store`` (of ``cluster``), critical and firing first."""
    if not store.exists():
        return []
    uri = f"{store.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise ProblemsUnavailable(f"cannot open {store} read-only: {exc}") from None
    try:
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()
        if not has_table:
            return []
        marks = ", ".join("?" * len(LIVE_PHASES))
        rows = conn.execute(
            f"SELECT phase, since, fired, problem FROM {TABLE} WHERE phase IN ({marks})", LIVE_PHASES
        ).fetchall()
        flapping = _flapping(conn)
    except sqlite3.Error as exc:
        raise ProblemsUnavailable(f"cannot read {TABLE} in {store}: {exc}") from None
    finally:
        conn.close()
    found = []
    for phase, since, fired, raw in rows:
        problem = _problem(raw)
        if problem is not None and (cluster is None or problem.cluster == cluster):
            found.append(CurrentProblem(problem, phase, since, fired, flapping.get(problem.key)))
    return sorted(found, key=_order)


def _flapping(conn: sqlite3.Connection) -> dict[tuple, float]:
    """Problem key -> since when its alert flaps (the bridge's ``alert_flapping``, if it has one)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FLAPPING_TABLE,)).fetchone()
    if not exists:
        return {}
    found = {}
    for key, since in conn.execute(f"SELECT key, since FROM {FLAPPING_TABLE} WHERE since IS NOT NULL"):
        try:
            found[tuple(json.loads(key))] = float(since)
        except (TypeError, ValueError):
            continue
    return found


def _problem(raw: str) -> Problem | None:
    try:
        fields = json.loads(raw)
        return Problem(**{name: value for name, value in fields.items() if name in _FIELDS})
    except (TypeError, ValueError):
        return None  # written by an incompatible version


def _order(current: CurrentProblem) -> tuple:
    p = current.problem
    return (
        p.severity != "critical",
        current.phase != "firing",
        p.cluster or "",
        p.check,
        p.host or "",
    )
