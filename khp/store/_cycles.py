"""The cycle log: one JSON record per evaluator cycle, kept beside the data in the store file."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from khp.configuration import create_private

from ._errors import StoreError
from ._store import store_problem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    started REAL NOT NULL, at REAL NOT NULL, seconds REAL NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycles_by_start ON cycles (started);
"""


class CycleLog:
    """Appends and reads cycle records (``CycleRecord.as_dict()``); prunes with the data.

    Every SQLite error comes out as a ``StoreError`` naming the file and what to do.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from None
        with self._open("open") as conn:
            conn.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _open(self, doing: str) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30.0)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                with conn:
                    yield conn
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise StoreError(store_problem(self.path, doing, exc)) from None

    def check_writable(self) -> None:
        """Fail now, before anything is evaluated, when a record could not be kept (a read-only file)."""
        for file in (self.path, self.path.parent):
            if file.exists() and not os.access(file, os.W_OK):
                what = "file" if file == self.path else "directory"
                raise StoreError(
                    f"cannot write to the store {self.path}: its {what} is read-only; make it writable"
                    " (every cycle's record is kept there)"
                )

    def append(self, record: dict[str, Any]) -> None:
        with self._open("write a cycle record to") as conn:
            conn.execute(
                "INSERT INTO cycles (started, at, seconds, record) VALUES (?, ?, ?, ?)",
                (record["started"], record["at"], record["seconds"], json.dumps(record, sort_keys=True)),
            )

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        """The last ``limit`` records, oldest first."""
        with self._open("read the cycle records of") as conn:
            rows = conn.execute("SELECT record FROM cycles ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row[0]) for row in reversed(rows)]

    def prune(self, before: float) -> int:
        with self._open("prune the cycle records of") as conn:
            return conn.execute("DELETE FROM cycles WHERE started < ?", (before,)).rowcount
