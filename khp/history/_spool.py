"""Where events wait while Elasticsearch cannot take them: a SQLite spool and a dead-letter file.

The spool is written before anything is sent (``synchronous=FULL``: it survives a crash or a
power cut), and an event leaves it only once Elasticsearch has stored it or refused it for
good. Refused events go to the dead-letter file, one JSON object a line, with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khp.configuration import open_private

from ._errors import HistoryError
from ._event import HistoryEvent
from ._sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
"""


class Spool:
    """Events not yet in Elasticsearch, in the order they were recorded."""

    def __init__(self, path: str | Path) -> None:
        self.db = Database(path, SCHEMA, synchronous="FULL", what="history spool")
        self.path = self.db.path

    def append(self, events: Sequence[HistoryEvent]) -> None:
        """Keep ``events`` (an event already waiting is not added twice)."""
        rows = [(event.identity(), json.dumps(event.as_dict())) for event in events]
        self._write("INSERT OR IGNORE INTO spool (id, event) VALUES (?, ?)", rows, f"spool {len(rows)} events")

    def head(self, limit: int) -> list[tuple[int, HistoryEvent]]:
        """The ``limit`` oldest waiting events with their sequence numbers."""
        rows = self._read("SELECT seq, event FROM spool ORDER BY seq LIMIT ?", (limit,))
        return [(seq, HistoryEvent.from_dict(json.loads(text))) for seq, text in rows]

    def remove(self, seqs: Iterable[int]) -> None:
        self._write("DELETE FROM spool WHERE seq = ?", [(seq,) for seq in seqs], "remove sent events")

    def retry_later(self, seqs: Iterable[int], error: str) -> None:
        """Count one more failed attempt of these events and why."""
        rows = [(error, seq) for seq in seqs]
        self._write("UPDATE spool SET attempts = attempts + 1, error = ? WHERE seq = ?", rows, "note a failed send")

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM spool", ())[0][0])

    def close(self) -> None:
        self.db.close()

    def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return self.db.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read the history spool {self.path}: {exc}") from None

    def _write(self, sql: str, rows: Sequence[Sequence[Any]], what: str) -> None:
        try:
            with self.db.connection() as conn:
                conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise HistoryError(
                f"cannot {what} in the history spool {self.path}: {exc}; check the disk and its permissions"
            ) from None


@dataclass(frozen=True)
class DeadLetter:
    """An event Elasticsearch refused for good, and why."""

    event: HistoryEvent
    index: str
    status: int
    error: str


class DeadLetters:
    """The dead-letter file: JSON lines of refused events, appended, never rewritten."""

    def __init__(self, path: str | Path, clock: Callable[[], float]) -> None:
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()

    def add(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        at = dt.datetime.fromtimestamp(self.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = "".join(
            json.dumps(
                {
                    "at": at,
                    "index": letter.index,
                    "id": letter.event.identity(),
                    "status": letter.status,
                    "error": letter.error,
                    "event": letter.event.as_dict(),
                }
            )
            + "\n"
            for letter in letters
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, os.fdopen(open_private(self.path), "a", encoding="utf-8") as file:
                file.write(lines)
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            raise HistoryError(f"cannot write the history dead-letter file {self.path}: {exc.strerror}") from None

    def read(self) -> list[dict[str, Any]]:
        """Every dead letter so far (an operator's ``jq`` does the same)."""
        try:
            with open(self.path, encoding="utf-8") as file:
                return [json.loads(line) for line in file if line.strip()]
        except FileNotFoundError:
            return []
