"""SQLite files of the history: WAL mode and one connection per thread, as the embedded store does."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from khp.configuration import create_private

from ._errors import HistoryError


class Database:
    """One SQLite file with ``schema``; ``":memory:"`` shares one connection between threads."""

    def __init__(self, path: str | Path, schema: str, *, synchronous: str = "NORMAL", what: str = "history") -> None:
        self.path = Path(path)
        self.what = what
        self._synchronous = synchronous
        self._memory = str(path) == ":memory:"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[sqlite3.Connection] = []
        if not self._memory:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                create_private(self.path)  # 0600, and so its -wal and -shm files
            except OSError as exc:
                raise HistoryError(f"cannot create the {what} {self.path}: {exc.strerror}") from None
        try:
            with self.connection() as conn:
                conn.executescript(schema)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot set up the {what} {self.path}: {exc}") from None

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = self._open[0] if self._memory and self._open else None
        if not self._memory:
            conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self._synchronous}")
            except sqlite3.Error as exc:
                raise HistoryError(f"cannot open the {self.what} {self.path}: {exc}") from None
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this object opened, in any thread."""
        with self._lock:
            opened, self._open = self._open, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
