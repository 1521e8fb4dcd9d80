"""The cycle log: one JSON record per evaluator cycle, kept beside the data in the store file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from khp.configuration import create_private

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    started REAL NOT NULL, at REAL NOT NULL, seconds REAL NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycles_by_start ON cycles (started);
"""


class CycleLog:
    """Appends and reads cycle records (``CycleRecord.as_dict()``); prunes with the data."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        create_private(self.path)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def append(self, record: dict[str, Any]) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO cycles (started, at, seconds, record) VALUES (?, ?, ?, ?)",
                (record["started"], record["at"], record["seconds"], json.dumps(record, sort_keys=True)),
            )

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        """The last ``limit`` records, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT record FROM cycles ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row[0]) for row in reversed(rows)]

    def prune(self, before: float) -> int:
        with self._connect() as conn:
            return conn.execute("DELETE FROM cycles WHERE started < ?", (before,)).rowcount
