"""The feed log: the newest sample time seen of each feed (source kind, cluster), kept in the store file.

Once a feed stops, the window soon holds nothing of it, so only this remembers how long it
has been silent, across restarts and for every evaluator sharing the file (an HA pair).
Writes only ever move a time forward, so two evaluators writing at once agree.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_newest (
    kind TEXT NOT NULL, cluster TEXT NOT NULL, newest REAL NOT NULL,
    PRIMARY KEY (kind, cluster)
) WITHOUT ROWID;
"""

FeedKey = tuple[str, str]


class FeedLog:
    """``load`` / ``save`` / ``forget`` the newest time per (kind, cluster); a ``FeedMemory`` for the evaluator."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        with self._conn:
            self._conn.executescript(_SCHEMA)

    def load(self) -> dict[FeedKey, float]:
        with self._lock:
            rows = self._conn.execute("SELECT kind, cluster, newest FROM feed_newest").fetchall()
        return {(kind, cluster): newest for kind, cluster, newest in rows}

    def save(self, newest: Mapping[FeedKey, float]) -> None:
        rows = [(kind, cluster, time) for (kind, cluster), time in newest.items()]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT INTO feed_newest (kind, cluster, newest) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, cluster) DO UPDATE SET newest = MAX(newest, excluded.newest)",
                rows,
            )

    def forget(self, feeds: Iterable[FeedKey]) -> None:
        with self._lock, self._conn:
            self._conn.executemany("DELETE FROM feed_newest WHERE kind = ? AND cluster = ?", list(feeds))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
