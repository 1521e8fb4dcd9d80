"""The bridge's state, kept in the store file so a restarted evaluator neither re-pages nor
loses pending time.

One table beside the metric tables, one row per problem key; each cycle writes only the rows
that changed (a pending problem whose value moves is not a change; a send is).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from evaluator import Problem
from khp.configuration import create_private

from ._errors import StateStoreError
from ._machine import PHASES, AlertState, Key

TABLE = "alert_states"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key TEXT PRIMARY KEY,           -- JSON of Problem.key: [check, monitor, cluster, host, severity]
    phase TEXT NOT NULL,            -- pending | firing | resolved
    since REAL NOT NULL,            -- evaluation time first seen (pending timer start)
    fired REAL,                     -- evaluation time it fired
    resolved REAL,                  -- evaluation time it resolved
    last_sent REAL,                 -- evaluation time of the last send (the resend schedule)
    valid_until REAL,               -- evaluation time the last firing alert sent expires at
    starts_at REAL,                 -- wall-clock startsAt (when it fired)
    ends_at REAL,                   -- wall-clock endsAt of the resolution
    undelivered TEXT NOT NULL,      -- JSON list of Alertmanager URLs that have not acknowledged the last send
    problem TEXT NOT NULL,          -- JSON of the Problem last sent (or first seen, while pending)
    nodata_since REAL,              -- evaluation time its element has had no data since
    resolved_by TEXT NOT NULL DEFAULT ''  -- 'nodata': resolved for lack of data, not on evidence
) WITHOUT ROWID
"""
_ADDED = {"nodata_since": "REAL", "resolved_by": "TEXT NOT NULL DEFAULT ''"}  # columns newer than the table

_COLUMNS = (
    "key, phase, since, fired, resolved, last_sent, valid_until, starts_at, ends_at, undelivered, problem,"
    " nodata_since, resolved_by"
)
_PROBLEM_NAMES = tuple(field.name for field in dataclasses.fields(Problem))
_PROBLEM_FIELDS = frozenset(_PROBLEM_NAMES)


class StateStore:
    """Reads all states once at start; ``save`` writes the changed ones in one transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.closed = False
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
                create_private(self.path)  # 0600, as the store file it shares
            self._conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(SCHEMA)
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({TABLE})")}
            for column, kind in _ADDED.items():
                if column not in have:
                    self._conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} {kind}")
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreError(f"cannot open the alert state table in {self.path}: {exc}") from None

    def load(self, urls: Iterable[str] = ()) -> dict[Key, AlertState]:
        """Every stored state; ``undelivered`` is narrowed to the Alertmanagers configured now."""
        known = frozenset(urls)
        states: dict[Key, AlertState] = {}
        with self._lock:
            try:
                rows = self._conn.execute(f"SELECT {_COLUMNS} FROM {TABLE}").fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot read {TABLE} in {self.path}: {exc}") from None
        for row in rows:
            state = _state(row, known)
            if state is not None:
                states[state.key] = state
        return states

    def save(self, changed: Iterable[AlertState], removed: Iterable[Key]) -> int:
        """Upsert ``changed`` and delete ``removed`` in one transaction; the number of rows written."""
        rows = [_row(state) for state in changed]
        gone = [(_key(key),) for key in removed]
        if not rows and not gone:
            return 0
        placeholders = ", ".join("?" * len(rows[0])) if rows else ""
        with self._lock:
            try:
                with self._conn:
                    if rows:
                        self._conn.executemany(
                            f"INSERT OR REPLACE INTO {TABLE} ({_COLUMNS}) VALUES ({placeholders})", rows
                        )
                    if gone:
                        self._conn.executemany(f"DELETE FROM {TABLE} WHERE key = ?", gone)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write {TABLE} in {self.path}: {exc}") from None
        return len(rows) + len(gone)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self.closed = True


def _key(key: Key) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def _row(state: AlertState) -> tuple:
    # not dataclasses.asdict: its deep copy triples the cost of a 10,000-row cycle
    problem = json.dumps({name: getattr(state.problem, name) for name in _PROBLEM_NAMES}, ensure_ascii=False)
    return (
        _key(state.key),
        state.phase,
        state.since,
        state.fired,
        state.resolved,
        state.last_sent,
        state.valid_until,
        state.starts_at,
        state.ends_at,
        json.dumps(sorted(state.undelivered)),
        problem,
        state.nodata_since,
        state.resolved_by,
    )


def _state(row: tuple, known: frozenset[str]) -> AlertState | None:
    _, phase, since, fired, resolved, last_sent, valid_until, starts_at, ends_at, undelivered, problem = row[:11]
    nodata_since, resolved_by = row[11:]
    if phase not in PHASES:
        return None
    try:
        fields = json.loads(problem)
        found = Problem(**{name: value for name, value in fields.items() if name in _PROBLEM_FIELDS})
    except (TypeError, ValueError):
        return None  # written by an incompatible version: forgotten, as if the problem were new
    return AlertState(
        problem=found,
        phase=phase,
        since=since,
        fired=fired,
        resolved=resolved,
        last_sent=last_sent,
        valid_until=valid_until,
        starts_at=starts_at,
        ends_at=ends_at,
        undelivered=frozenset(json.loads(undelivered)) & known,
        nodata_since=nodata_since,
        resolved_by=resolved_by or "",
    )
