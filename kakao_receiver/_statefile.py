"""The receiver's own state beside the outbox, in the same SQLite file: what each room was told
(``_ledger``), resolutions held back (``_holding``), the evaluator's heartbeat (``_watch``).

Every gunicorn worker process opens it; one connection per thread (and per process after a
fork); writes are short transactions retried while another process holds the file's lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ._outbox import OutboxError, ThreadConnections, in_transaction, retrying_while_locked, writer

T = TypeVar("T")
BUSY_TIMEOUT = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_ledger (
    room TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,          -- firing | resolved: the last status put in a message to the room
    accepted REAL NOT NULL,        -- when that message was accepted into the outbox
    PRIMARY KEY (room, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS held_resolutions (
    room TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    receiver TEXT NOT NULL,
    received REAL NOT NULL,        -- when Alertmanager's resolution (its endsAt passed) arrived
    alert TEXT NOT NULL,           -- the alert as the webhook had it (JSON)
    notification TEXT NOT NULL,    -- the webhook body it came in (JSON), for grouping and links
    PRIMARY KEY (room, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evaluator_watch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_beat REAL,                -- evaluation time of the newest heartbeat heard (NULL: never)
    heard REAL,                    -- when it was heard
    blind_since REAL,              -- the last heartbeat before blindness began (NULL: not blind)
    blind_told INTEGER NOT NULL DEFAULT 0,
    restored_from REAL             -- blind_since of a blindness that ended, until its message is accepted
);
INSERT OR IGNORE INTO evaluator_watch (id) VALUES (1);
"""


class StateFile:
    """The receiver state tables in ``path`` (the outbox file); ``run`` an operation on them."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connections = ThreadConnections(self.path)
        self.run("set up", lambda conn: conn.executescript(SCHEMA))

    def run(self, what: str, operation: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """``operation`` on this thread's connection, in one write transaction if ``write``; retried while locked."""

        def attempt() -> T:
            conn = self._connections.get()  # opening it is retried too, and its errors name the file
            return in_transaction(conn, operation) if write else operation(conn)

        if not write:
            return self._retrying(what, attempt)
        with writer(self.path):
            return self._retrying(what, attempt)

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        try:
            return retrying_while_locked(attempt, BUSY_TIMEOUT)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot {what} the receiver state in {self.path}: {exc}") from None

    def close(self) -> None:
        """Close every connection this object opened in this process."""
        self._connections.close()
