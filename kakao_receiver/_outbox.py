"""The durable outbox: accepted notifications and one delivery row per room, in one SQLite file (WAL).

A webhook is answered 2xx only after ``accept`` committed its notification and all its rows
(``synchronous=FULL``: committed means on disk). The workers' writes use ``NORMAL``: they
survive a killed process; a power cut may undo the last ones, which can only repeat a send.
Rows are unique on (notification id, room), so a notification Alertmanager retries is stored,
and sent, once per room; the same notification again after the duplicate window is
Alertmanager's ``repeat_interval`` reminder, and its rows are sent once more.

Several processes share the file. A worker ``claim``s one due row with a single atomic
``UPDATE ... WHERE state = 'pending' AND lease_until <= now``: the row is hidden from every
other worker until its lease ends, and a worker that dies gives it back when the lease ends.

A row is ``pending`` until it is ``sent``; ``dead`` (a dead letter: the channel refused even
its simplest form), or ``expired`` (given up: its alert resolved long ago). A refused row is
``simplify``-ed: its payload replaced by a simpler form (``level`` counts the steps, the
first payload is kept in ``original`` for ``retry``). ``failed`` is what an older receiver
left after its retry budget; such rows are sent again (``redrive``) when their channel
answers. ``recorded`` says a row's history events were written. The file is created 0600.

A webhook's rows, and those of a held resolution the lookout confirms, are stored with the
payload ``LATER`` (empty): they are composed and rendered from their notification's body when
they are sent (``Courier``), so a webhook is answered after its commit alone. The receiver's
notices (blind, restored, dead letter) store their payload.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from khp.configuration import create_private

from . import _cooperative as cooperative
from ._groupcommit import GroupCommit, Write

PENDING, SENT, DEAD, EXPIRED, FAILED = "pending", "sent", "dead", "expired", "failed"
BUSY_TIMEOUT = 30.0  # seconds a write waits for the file's lock before the outbox gives up
T = TypeVar("T")
STATES = (PENDING, SENT, DEAD, EXPIRED, FAILED)
UNDELIVERED = (DEAD, EXPIRED, FAILED)
LATER = ""  # a row's payload when it is rendered from its notification's body at send time
_COLUMNS = {"level": "INTEGER NOT NULL DEFAULT 0", "original": "TEXT"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY,
    receiver TEXT NOT NULL,
    received REAL NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
    notification TEXT NOT NULL REFERENCES notifications (id),
    room TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    claim TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    finished REAL,
    recorded INTEGER NOT NULL DEFAULT 0,
    level INTEGER NOT NULL DEFAULT 0,
    original TEXT,
    UNIQUE (notification, room)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_unrecorded ON deliveries (finished) WHERE state != 'pending' AND recorded = 0;
CREATE INDEX IF NOT EXISTS deliveries_finished ON deliveries (finished) WHERE state != 'pending';
"""


class OutboxError(Exception):
    """The outbox file cannot be opened, read or written; the message names the file."""


@dataclass(frozen=True)
class Delivery:
    """One message for one room, as a worker claimed it (``attempts`` counts this try)."""

    rowid: int
    notification: str
    room: str
    payload: Mapping[str, Any] | None  # ``None``: rendered from the notification's body when sent (``LATER``)
    attempts: int
    claim: str
    level: int = 0
    created: float = 0.0


@dataclass(frozen=True)
class Finished:
    """A row that is sent or failed and whose history events are not written yet."""

    rowid: int
    notification: str
    room: str
    state: str
    finished: float
    error: str
    body: str


class Outbox:
    """The outbox file at ``path``; one connection per thread (and per process: safe after ``fork``)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._connections = ThreadConnections(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
        except OSError as exc:
            raise OutboxError(f"cannot create the outbox {self.path}: {exc.strerror}") from None
        self._run("set up", _set_up)

    # -- writing: the webhook ---------------------------------------------------------------------

    def seen(self, notification: str, since: float = -math.inf) -> bool:
        """Whether the notification with this id was stored after ``since``."""
        sql = "SELECT 1 FROM notifications WHERE id = ? AND received > ?"
        return self._run("read", lambda conn: conn.execute(sql, (notification, since)).fetchone()) is not None

    def accept(
        self,
        notification: str,
        receiver: str,
        body: str,
        payloads: Mapping[str, Mapping[str, Any] | None],
        window: float = math.inf,
        guard: Callable[[sqlite3.Connection], bool] | None = None,
    ) -> str:
        """Store the notification and one pending row per room (``payloads``: room -> rendered payload), on disk.

        A room whose payload is ``None`` gets its message rendered from ``body`` when it is sent (``LATER``).

        Returns ``accepted``; or ``duplicate``, storing nothing, when that notification was stored
        less than ``window`` seconds ago (Alertmanager retrying it); or ``repeated`` when it was
        stored longer ago (Alertmanager's ``repeat_interval``): then its finished rows are pending
        again with the new payloads, and rows still pending are left as they are. ``guard`` runs
        in the same transaction before anything is stored (the receiver's ledger checks and notes
        what the rooms are told there); when it returns ``False`` nothing is stored: ``changed``.
        """
        now = self.clock()
        texts: dict[int, str] = {}  # rooms of one channel share one rendered payload: one text for them
        for payload in payloads.values():
            if id(payload) not in texts:
                texts[id(payload)] = LATER if payload is None else _dumps(payload)
        rows = [(notification, room, texts[id(payload)], now, now) for room, payload in payloads.items()]

        def store(conn: sqlite3.Connection) -> str:
            found = conn.execute("SELECT received FROM notifications WHERE id = ?", (notification,)).fetchone()
            if found is not None and found[0] > now - window:
                return "duplicate"
            if guard is not None and not guard(conn):
                return "changed"
            conn.execute(
                "INSERT INTO notifications (id, receiver, received, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET received = excluded.received, body = excluded.body",
                (notification, receiver, now, body),
            )
            conn.executemany(
                """
                INSERT INTO deliveries (notification, room, payload, due, created) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (notification, room) DO UPDATE SET
                    payload = excluded.payload, state = 'pending', attempts = 0, due = excluded.due,
                    lease_until = 0, claim = '', error = '', created = excluded.created, finished = NULL,
                    recorded = 0, level = 0, original = NULL
                WHERE state != 'pending' AND recorded = 1
                """,
                rows,
            )
            return "accepted" if found is None else "repeated"

        return self._run("write a notification to", store, transaction=True, durable=True)

    # -- the workers ----------------------------------------------------------------------------------

    def claim(self, lease: float) -> Delivery | None:
        """Take the first due row for ``lease`` seconds, atomically across processes; ``None`` if none is due."""
        now = self.clock()
        token = uuid.uuid4().hex
        sql = """
            UPDATE deliveries SET lease_until = ?, claim = ?, attempts = attempts + 1
            WHERE rowid = (
                SELECT rowid FROM deliveries
                WHERE state = 'pending' AND due <= ? AND lease_until <= ? ORDER BY due, rowid LIMIT 1
            ) AND state = 'pending' AND lease_until <= ?
            RETURNING rowid, notification, room, payload, attempts, level, created
        """
        params = (now + lease, token, now, now, now)
        row = self._run("claim a delivery in", lambda conn: conn.execute(sql, params).fetchone(), write=True)
        if row is None:
            return None
        rowid, notification, room, payload, attempts, level, created = row
        content = None if payload == LATER else json.loads(payload)
        return Delivery(rowid, notification, room, content, attempts, token, level, created)

    def mark_sent(self, delivery: Delivery) -> float:
        """The channel took it: ``sent``, whoever holds the lease now (it *was* delivered). Returns the time."""
        now = self.clock()
        sql = "UPDATE deliveries SET state = 'sent', finished = ?, lease_until = 0, error = '' WHERE rowid = ?"
        self._run("mark a delivery sent in", lambda conn: conn.execute(sql, (now, delivery.rowid)), write=True)
        return now

    def retry_at(self, delivery: Delivery, due: float, error: str) -> bool:
        """Try again at ``due``; ``False`` if the lease was lost to another worker meanwhile."""
        sql = (
            "UPDATE deliveries SET due = ?, lease_until = 0, error = ? "
            "WHERE rowid = ? AND claim = ? AND state = 'pending'"
        )
        params = (due, error, delivery.rowid, delivery.claim)
        return bool(self._run("reschedule a delivery in", lambda conn: conn.execute(sql, params).rowcount, write=True))

    def simplify(self, delivery: Delivery, payload: Mapping[str, Any], error: str) -> bool:
        """Send ``payload`` (a simpler form) instead, now; ``False`` if the lease was lost meanwhile."""
        sql = (
            "UPDATE deliveries SET original = coalesce(original, payload), payload = ?, level = level + 1, "
            "due = ?, lease_until = 0, error = ? WHERE rowid = ? AND claim = ? AND state = 'pending'"
        )
        params = (_dumps(payload), self.clock(), error, delivery.rowid, delivery.claim)
        return bool(self._run("simplify a delivery in", lambda conn: conn.execute(sql, params).rowcount, write=True))

    def mark_dead(self, delivery: Delivery, error: str) -> float | None:
        """A dead letter: refused in every form. Returns the time, or ``None`` if the lease was lost meanwhile."""
        now = self.clock()
        sql = (
            "UPDATE deliveries SET state = 'dead', finished = ?, lease_until = 0, error = ? "
            "WHERE rowid = ? AND claim = ? AND state = 'pending'"
        )
        params = (now, error, delivery.rowid, delivery.claim)
        changed = self._run("mark a dead letter in", lambda conn: conn.execute(sql, params).rowcount, write=True)
        return now if changed else None

    def expire(self, before: float, reason: str) -> list[int]:
        """Give up rows created before ``before`` whose alerts are resolved; their row ids.

        Resolved: the row's notification is resolved, or a later notification of the same group to
        the same receiver is. Rows being sent (leased) are left to their worker. Linear in the
        notifications kept, and only when some row is old enough: it runs every minute in every
        worker, and holds the file's write lock while it runs.
        """
        now = self.clock()
        old = "state IN ('pending', 'failed') AND created < :before AND lease_until <= :now"
        params = {"now": now, "before": before, "reason": reason}
        probe = f"SELECT 1 FROM deliveries WHERE {old} LIMIT 1"
        if self._run("read", lambda conn: conn.execute(probe, params).fetchone()) is None:
            return []
        sql = f"""
            WITH candidates AS (
                SELECT id, receiver, received, json_extract(body, '$.groupKey') AS grp,
                       json_extract(body, '$.status') = 'resolved' AS resolved
                FROM notifications WHERE id IN (SELECT notification FROM deliveries WHERE {old})
            ), resolutions AS (
                SELECT receiver, json_extract(body, '$.groupKey') AS grp, max(received) AS last
                FROM notifications WHERE json_extract(body, '$.status') = 'resolved' GROUP BY 1, 2
            )
            UPDATE deliveries SET state = 'expired', finished = :now, lease_until = 0,
                error = CASE WHEN error = '' THEN :reason ELSE :reason || ' (last error: ' || error || ')' END
            WHERE {old} AND notification IN (
                SELECT c.id FROM candidates c
                LEFT JOIN resolutions r ON r.receiver = c.receiver AND r.grp = c.grp
                WHERE c.resolved OR r.last > c.received
            )
            RETURNING rowid
        """
        rows = self._run("expire deliveries in", lambda conn: conn.execute(sql, params).fetchall(), transaction=True)
        return [row[0] for row in rows]

    def redrive(self, channel: str) -> int:
        """The channel answers again: its waiting rows are due now, and rows an older receiver failed are pending."""
        now = self.clock()
        like = channel.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"

        def redrive(conn: sqlite3.Connection) -> int:
            waiting = conn.execute(
                "UPDATE deliveries SET due = ? WHERE state = 'pending' AND due > ? AND lease_until <= ? "
                "AND room LIKE ? ESCAPE '\\'",
                (now, now, now, like),
            ).rowcount
            failed = conn.execute(
                "UPDATE deliveries SET state = 'pending', due = ?, lease_until = 0, finished = NULL, recorded = 0 "
                "WHERE state = 'failed' AND room LIKE ? ESCAPE '\\'",
                (now, like),
            ).rowcount
            return int(waiting + failed)

        return self._run("re-drive deliveries in", redrive, transaction=True)

    def retry(self, rowids: Sequence[int] | None = None) -> int:
        """Send these rows (``None``: every one not delivered) again now, from their first form; how many.

        Dead, expired and failed rows become pending again; pending ones are due now.
        """
        now = self.clock()
        where = "" if rowids is None else f" AND rowid IN ({','.join('?' * len(rowids))})"
        ids = tuple(rowids or ())

        def retry(conn: sqlite3.Connection) -> int:
            again = conn.execute(
                "UPDATE deliveries SET state = 'pending', payload = coalesce(original, payload), original = NULL, "
                "level = 0, due = ?, lease_until = 0, finished = NULL, recorded = 0, error = 'sent again by hand' "
                f"WHERE state IN ('dead', 'expired', 'failed'){where}",
                (now, *ids),
            ).rowcount
            sooner = conn.execute(
                f"UPDATE deliveries SET due = ? WHERE state = 'pending' AND due > ?{where}", (now, now, *ids)
            ).rowcount
            return int(again + sooner)

        return self._run("retry deliveries in", retry, transaction=True)

    def add_notice(self, notification: str, receiver: str, body: str, room: str, payload: Mapping[str, Any]) -> bool:
        """A message about a dead letter, to another room: a row of its own, with no history events."""
        now = self.clock()

        def add(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT OR IGNORE INTO notifications (id, receiver, received, body) VALUES (?, ?, ?, ?)",
                (notification, receiver, now, body),
            )
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO deliveries (notification, room, payload, due, created, recorded) "
                    "VALUES (?, ?, ?, ?, ?, 1)",
                    (notification, room, _dumps(payload), now, now),
                ).rowcount
            )

        return self._run("write a notice to", add, transaction=True, durable=True)

    def next_due(self) -> float | None:
        """When the next pending row may be claimed (due and its lease over), or ``None``."""
        sql = "SELECT min(max(due, lease_until)) FROM deliveries WHERE state = 'pending'"
        when: float | None = self._run("read", lambda conn: conn.execute(sql).fetchone()[0])
        return when

    def unrecorded(self, limit: int = 500) -> list[Finished]:
        """Sent or failed rows whose history events are still to be written, oldest first."""
        sql = """
            SELECT d.rowid, d.notification, d.room, d.state, d.finished, d.error, n.body
            FROM deliveries d JOIN notifications n ON n.id = d.notification
            WHERE d.state != 'pending' AND d.recorded = 0 ORDER BY d.finished LIMIT ?
        """
        rows = self._run("read", lambda conn: conn.execute(sql, (limit,)).fetchall())
        return [Finished(*row) for row in rows]

    def mark_recorded(self, rowids: Sequence[int]) -> None:
        sql = "UPDATE deliveries SET recorded = 1 WHERE rowid = ?"
        self._run("write", lambda conn: conn.executemany(sql, [(r,) for r in rowids]), transaction=True)

    def prune(self, before: float) -> int:
        """Forget rows finished and recorded before ``before``, and notifications left with no rows."""

        def prune(conn: sqlite3.Connection) -> int:
            gone = conn.execute(
                "DELETE FROM deliveries WHERE state != 'pending' AND recorded = 1 AND finished < ?", (before,)
            ).rowcount
            conn.execute(
                "DELETE FROM notifications WHERE received < ? "
                "AND NOT EXISTS (SELECT 1 FROM deliveries WHERE notification = notifications.id)",
                (before,),
            )
            return int(gone)

        return self._run("prune", prune, transaction=True)

    # -- reading: health and tests --------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per state (every state present, 0 when none)."""
        sql = "SELECT state, count(*) FROM deliveries GROUP BY state"
        rows = self._run("read", lambda conn: conn.execute(sql).fetchall())
        return {state: 0 for state in STATES} | dict(rows)

    def counts_by_channel(self) -> dict[tuple[str, str], int]:
        """Rows per (channel, state)."""
        sql = "SELECT substr(room, 1, instr(room, ':') - 1), state, count(*) FROM deliveries GROUP BY 1, 2"
        rows = self._run("read", lambda conn: conn.execute(sql).fetchall())
        return {(channel, state): count for channel, state, count in rows}

    def rooms(self, notification: str) -> list[str]:
        """The rooms of a notification, in the order accepted."""
        sql = "SELECT room FROM deliveries WHERE notification = ? ORDER BY rowid"
        return [row[0] for row in self._run("read", lambda conn: conn.execute(sql, (notification,)).fetchall())]

    def body(self, notification: str) -> tuple[str, str] | None:
        """``(receiver, body)`` of a stored notification, or ``None``."""
        sql = "SELECT receiver, body FROM notifications WHERE id = ?"
        row = self._run("read", lambda conn: conn.execute(sql, (notification,)).fetchone())
        return None if row is None else (row[0], row[1])

    def listing(self, states: Sequence[str] = (), limit: int = 50) -> list[dict[str, Any]]:
        """The latest rows (of ``states``), newest first, with their receiver and group."""
        where = f"WHERE d.state IN ({','.join('?' * len(states))})" if states else ""
        sql = f"""
            SELECT d.rowid AS id, d.state, d.room, d.attempts, d.level, d.created, d.due, d.finished, d.error,
                   n.receiver, json_extract(n.body, '$.status') AS status,
                   json_extract(n.body, '$.groupKey') AS group_key, d.notification
            FROM deliveries d JOIN notifications n ON n.id = d.notification
            {where} ORDER BY d.rowid DESC LIMIT ?
        """

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = conn.execute(sql, (*states, limit))
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return self._run("read", read)

    def oldest_pending(self) -> float | None:
        """When the oldest pending row was accepted, or ``None``."""
        sql = "SELECT min(created) FROM deliveries WHERE state = 'pending'"
        when: float | None = self._run("read", lambda conn: conn.execute(sql).fetchone()[0])
        return when

    def rows(self, notification: str | None = None) -> list[dict[str, Any]]:
        """Every delivery row (of one notification) as a dict, in the order accepted."""
        sql = (
            "SELECT rowid, * FROM deliveries" + (" WHERE notification = ?" if notification else "") + " ORDER BY rowid"
        )

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = conn.execute(sql, (notification,) if notification else ())
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return self._run("read", read)

    def close(self) -> None:
        """Close every connection this object opened in this process."""
        self._connections.close()

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def _run(
        self,
        what: str,
        operation: Callable[[sqlite3.Connection], T],
        *,
        transaction: bool = False,
        durable: bool = False,
        write: bool = False,
    ) -> T:
        """``operation`` on this thread's connection, in a write transaction if asked, retried while the file is locked.

        ``write`` says a statement outside a transaction writes (a transaction always does):
        writers of this process take turns (``writer``). ``durable`` commits with
        ``synchronous=FULL`` (the WAL is on disk when this returns), together with the durable
        writes of this process's other threads waiting at the same time (``group_commit``), or
        of the other webhooks of the event loop's round (``_cooperative``); it
        must not be asked for while this thread holds ``writer`` (it would wait for itself: this
        raises ``RuntimeError`` instead). Other writes are safe against a killed process but may be
        lost with the machine's power, which can only make a message be sent again, never lost.
        """
        if durable:
            if _held_here(writer(self.path)):
                raise RuntimeError(
                    f"a durable write to the outbox {self.path} was asked for inside another write to it"
                    " (this thread holds the file's writer lock): it would wait for itself"
                )
            commit = lambda writes: self._commit_together(what, writes)  # noqa: E731
            loop = cooperative.current()
            if loop is not None:  # a webhook answered in the worker's event loop: it parks for the loop's commit
                return loop.durable((self.path, what), operation, commit)
            return group_commit(self.path).run(operation, commit)
        conn = self._connection()

        def attempt() -> T:
            return in_transaction(conn, operation) if transaction else operation(conn)

        try:
            if not (write or transaction):
                return retrying_while_locked(attempt)
            with writer(self.path):
                return retrying_while_locked(attempt)
        except sqlite3.Error as exc:
            raise _outbox_error(what, self.path, exc) from None

    def _commit_together(self, what: str, writes: Sequence[Write[Any]]) -> None:
        """The durable ``writes`` in one transaction committed to disk (``GroupCommit``'s batch).

        If one of them raises, the transaction is rolled back and each is written in one of its own.
        """
        conn = self._connection()

        def attempt(batch: Sequence[Write[Any]]) -> list[Any]:
            conn.execute("PRAGMA synchronous=FULL")
            try:
                return in_transaction(conn, lambda conn: _write_all(conn, batch))
            finally:
                conn.execute("PRAGMA synchronous=NORMAL")

        def alone(write: Write[Any]) -> None:
            try:
                (write.result,) = retrying_while_locked(lambda: attempt([write]))
            except _WriteFailed as failed:
                write.error = _outbox_error(what, self.path, failed.__cause__)
            except sqlite3.Error as exc:
                write.error = _outbox_error(what, self.path, exc)

        with writer(self.path):
            try:
                results = retrying_while_locked(lambda: attempt(writes))
            except _WriteFailed:
                for write in writes:
                    alone(write)
                return
            except sqlite3.Error as exc:
                raise _outbox_error(what, self.path, exc) from None
        for write, result in zip(writes, results, strict=True):
            write.result = result


class ThreadConnections:
    """One WAL connection to ``path`` per thread, and per process after a fork; ``close`` closes them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[sqlite3.Connection] = []
        self._pid = os.getpid()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._pid != os.getpid():  # a forked child must not use its parent's connections
            self._pid, self._local, self._open = os.getpid(), threading.local(), []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # timeout 0: a locked file raises at once and the caller waits in short steps; SQLite's
            # own busy handler sleeps up to 100 ms at a time, which is what webhooks would wait
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
            retrying_while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection opened in this process; the next ``get`` opens anew."""
        with self._lock:
            opened, self._open = self._open, []
        if self._pid == os.getpid():
            for conn in opened:
                conn.close()
        self._local = threading.local()


def retrying_while_locked(attempt: Callable[[], T], timeout: float = BUSY_TIMEOUT) -> T:
    """``attempt()``, tried again while another process holds the file's lock (``busy_wait`` between tries).

    Any other error, or the lock still held after ``timeout`` seconds, is raised as it came.
    """
    deadline = time.monotonic() + timeout
    for tries in itertools.count():
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(busy_wait(tries))
    raise AssertionError("unreachable")


def busy_wait(tries: int) -> float:
    """Seconds to wait before trying a locked file again: 50 µs at first, doubling up to 2 ms, jittered.

    Another process holds the lock for one short transaction (a fraction of a millisecond,
    a commit to disk included): the first tries come back soon after it ends; a lock held longer
    is polled less often.
    """
    return min(0.002, 0.00005 * 2.0 ** min(tries, 6)) * random.uniform(0.5, 1.5)  # 2**tries overflows a float


def _set_up(conn: sqlite3.Connection) -> None:
    """The tables, and the columns an outbox written by an older receiver lacks."""
    conn.executescript(SCHEMA)
    present = {row[1] for row in conn.execute("PRAGMA table_info(deliveries)")}
    for name, kind in _COLUMNS.items():
        if name not in present:
            try:
                conn.execute(f"ALTER TABLE deliveries ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise


_writers: dict[tuple[int, Path], threading.RLock] = {}
_lines: dict[tuple[int, Path], GroupCommit] = {}


def writer(path: Path) -> threading.RLock:
    """The lock the threads of this process take in turn to write the SQLite file ``path``.

    SQLite lets one connection write at a time and tells the others "locked" at once; polling
    for it, a process's request and delivery threads would sleep and retry against each other,
    and a webhook could wait behind many such rounds. Queued on this lock instead, they get the
    file in turn as soon as it is free, and only other processes are waited for by polling.
    Keyed by process too: a lock held at ``fork`` stays held in the child.
    """
    key = (os.getpid(), path)
    lock = _writers.get(key)
    if lock is None:
        lock = _writers.setdefault(key, threading.RLock())
    return lock


def _held_here(lock: threading.RLock) -> bool:
    """Whether this thread holds ``lock`` (an ``RLock`` knows its owner; ``threading.Condition`` asks it so too)."""
    return bool(lock._is_owned())  # type: ignore[attr-defined]


def in_transaction(conn: sqlite3.Connection, operation: Callable[[sqlite3.Connection], T]) -> T:
    """``operation`` in a write transaction on ``conn``: committed, or rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = operation(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def group_commit(path: Path) -> GroupCommit:
    """The line of durable writes of this process to ``path`` (keyed by process, like ``writer``)."""
    key = (os.getpid(), path)
    line = _lines.get(key)
    if line is None:
        line = _lines.setdefault(key, GroupCommit())
    return line


class _WriteFailed(Exception):
    """A write of a batch raised (its ``__cause__``): the batch was rolled back."""


def _write_all(conn: sqlite3.Connection, batch: Sequence[Write[Any]]) -> list[Any]:
    try:
        return [write.operation(conn) for write in batch]
    except Exception as exc:
        raise _WriteFailed() from exc


def _outbox_error(what: str, path: Path, exc: BaseException | None) -> BaseException:
    if exc is None:
        return OutboxError(f"cannot {what} the outbox {path}")
    if isinstance(exc, sqlite3.Error):
        return OutboxError(f"cannot {what} the outbox {path}: {exc}")
    return exc


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _dumps(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
