"""The embedded history: a table in the store's SQLite file, indexed by time and by problem key."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from ._errors import HistoryError
from ._event import FIELDS, HistoryEvent
from ._history import History
from ._sqlite import Database

_COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)
SCHEMA = """
CREATE TABLE IF NOT EXISTS history_events (
    id TEXT PRIMARY KEY,
    "time" REAL NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    "check" TEXT NOT NULL, monitor TEXT NOT NULL, cluster TEXT NOT NULL, host TEXT NOT NULL,
    severity TEXT NOT NULL, value REAL, threshold REAL,
    channel TEXT NOT NULL, room TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_events_by_time ON history_events ("time");
CREATE INDEX IF NOT EXISTS history_events_by_key ON history_events (key, "time");
"""


class EmbeddedHistory(History):
    """History events in the embedded store's file (``store.path``), next to metrics and logs."""

    name = "embedded"

    def __init__(self, path: str | Path) -> None:
        self.db = Database(path, SCHEMA, what="history table of the store")

    def record(self, events: Sequence[HistoryEvent]) -> None:
        rows = [(event.identity(), *(getattr(event, name) for name in FIELDS)) for event in events]
        marks = ", ".join("?" * (len(FIELDS) + 1))
        try:
            with self.db.connection() as conn:
                conn.executemany(f"INSERT OR IGNORE INTO history_events (id, {_COLUMNS}) VALUES ({marks})", rows)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot write {len(rows)} history events to {self.db.path}: {exc}") from None

    def events(
        self, since: float, until: float, cluster: str | None = None, kinds: Collection[str] | None = None
    ) -> list[HistoryEvent]:
        sql = f'SELECT {_COLUMNS} FROM history_events WHERE "time" >= ? AND "time" < ?'
        params: list[Any] = [since, until]
        if cluster is not None:
            sql += " AND cluster = ?"
            params.append(cluster)
        if kinds is not None:
            kinds = list(kinds)
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else " AND 0"
            params.extend(kinds)
        try:
            rows = self.db.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read history events from {self.db.path}: {exc}") from None
        return sorted((HistoryEvent(*row) for row in rows), key=HistoryEvent.order)

    def flush(self) -> None:
        """Nothing waits: every ``record`` is one SQLite transaction."""

    def close(self) -> None:
        self.db.close()
