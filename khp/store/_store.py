"""The embedded store: one SQLite file in WAL mode, safe for several processes."""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TypeVar

from khp.configuration import create_private
from khp.records import LogRow, MetricRow, ProcessState

from ._bulk import Bulk
from ._bulk import insert as insert_bulk
from ._errors import StoreError
from ._ingest import iter_records
from ._schema import BACKFILL_LATEST, SCHEMA
from ._wildcard import matches

AGGREGATES = {"max": "MAX", "min": "MIN", "sum": "SUM", "avg": "AVG", "count": "COUNT"}
SeriesKey = tuple[str, str, str, str, str]
_BATCH = 5000  # rows per executemany while loading: memory stays flat, the transaction spans the file
_CLUSTERS_PER_READ = 200  # new series of more clusters than this: read all of a metric's series at once
_T = TypeVar("_T")


class Store:
    """Metrics, logs and process states in one SQLite file.

    Every thread gets its own connection; writes are single transactions, so a reader in
    another process sees a whole load or none of it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._series: dict[SeriesKey, int] = {}
        self._series_lock = threading.Lock()
        # ":memory:" is a new, empty database per connection, so all threads share one there.
        self._memory = str(path) == ":memory:"
        self._shared: sqlite3.Connection | None = None
        if not self._memory:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                create_private(self.path)  # 0600: and so its -wal and -shm files
            except OSError as exc:
                raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from None
        with self._failures("open"), self._connection() as conn:
            conn.executescript(SCHEMA)
            (unfilled,) = conn.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM latest) AND EXISTS (SELECT 1 FROM points)"
            ).fetchone()
            if unfilled:  # under the write lock, where BACKFILL's own guard makes another process's a no-op
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(BACKFILL_LATEST)

    @contextlib.contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        """SQLite's errors while ``doing`` something to the file, as a ``StoreError`` that names it and the fix."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(store_problem(self.path, doing, exc)) from None

    def _connection(self) -> sqlite3.Connection:
        conn = self._shared if self._memory else getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
                _wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise StoreError(store_problem(self.path, "open", exc)) from None
            conn.create_function("khp_match", 2, _match_or_false, deterministic=True)
            if self._memory:
                self._shared = conn
            else:
                self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (the one shared connection of a ``:memory:`` store)."""
        conn = self._shared if self._memory else getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._shared = None
            self._local.conn = None

    # -- writing -----------------------------------------------------------------------------

    def load_file(self, kind: str, file: str | Path, stdin: IO[bytes] | None = None) -> int:
        """Load a JSON-lines file of ``kind`` (``-``: standard input); a bad line raises ``IngestError``, loads nothing.

        The file is read line by line and written in batches inside one transaction, so memory
        stays flat however long the file is, and readers see the whole file or none of it.
        """
        if str(file) == "-":
            return self.load_lines(kind, stdin if stdin is not None else sys.stdin.buffer, "<stdin>")
        try:
            with open(file, "rb") as lines:
                return self.load_lines(kind, lines, str(file))
        except OSError as exc:
            raise StoreError(f"{file}: cannot read it: {exc.strerror or exc}; nothing from it was loaded") from None

    def load_lines(self, kind: str, lines: Iterable[bytes | str], name: str = "<input>") -> int:
        """Load JSON lines of ``kind`` in one transaction; a bad line raises ``IngestError``, loads nothing."""
        records = iter_records(kind, lines, name)
        insert = self._inserts()[kind]
        conn = self._connection()
        count = 0
        with self._failures(f"load {name} into"):
            try:
                with conn:
                    for batch in _batches(records, _BATCH):
                        count += insert(conn, batch)
            except BaseException:
                self._forget_series()
                raise
        return count

    def write(self, kind: str, records: Sequence) -> int:
        writers: dict[str, Callable[[Sequence], int]] = {
            "metrics": self.write_metrics,
            "logs": self.write_logs,
            "processes": self.write_processes,
        }
        return writers[kind](records)

    def write_metrics(self, rows: Iterable[MetricRow]) -> int:
        conn = self._connection()
        try:
            with self._failures("write to"), conn:
                return self._insert_metrics(conn, list(rows))
        except BaseException:
            self._forget_series()
            raise

    def write_logs(self, rows: Iterable[LogRow]) -> int:
        with self._failures("write to"), self._connection() as conn:
            return self._insert_logs(conn, list(rows))

    def write_processes(self, rows: Iterable[ProcessState]) -> int:
        with self._failures("write to"), self._connection() as conn:
            return self._insert_processes(conn, list(rows))

    def write_bulk(self, bulk: Bulk) -> tuple[int, int, int]:
        """Write ``bulk`` (``Bulk.of(series, logs, processes)``) in one transaction, a few times faster
        than ``write_metrics`` & co.; the metric points, log lines and process states written.

        Readers see all of it or none.
        """
        conn = self._connection()
        try:
            with self._failures("write to"), conn:
                insert_bulk(conn, bulk, self._series_ids(conn, {key for key, _times, _values in bulk.series}))
        except BaseException:
            self._forget_series()
            raise
        return bulk.counts

    def _inserts(self) -> dict[str, Callable[[sqlite3.Connection, Sequence], int]]:
        return {"metrics": self._insert_metrics, "logs": self._insert_logs, "processes": self._insert_processes}

    def _forget_series(self) -> None:
        with self._series_lock:
            self._series.clear()  # ids cached in a rolled-back transaction are not in the file

    def _insert_metrics(self, conn: sqlite3.Connection, rows: Sequence[MetricRow]) -> int:
        keyed = [((r.service, r.role, r.name, r.cluster, r.host), r) for r in rows]
        newest: dict[SeriesKey, MetricRow] = {}
        for key, row in keyed:
            seen = newest.get(key)
            if seen is None or row.time >= seen.time:  # of equal times the last one wins, as in points
                newest[key] = row
        ids = self._series_ids(conn, set(newest))
        conn.executemany(
            "INSERT OR REPLACE INTO points (series, ts, value) VALUES (?, ?, ?)",
            ((ids[key], row.time, row.value) for key, row in keyed),
        )
        conn.executemany(
            "INSERT INTO latest (service, role, name, cluster, host, series, ts, value)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service, role, name, cluster, host)"
            " DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= latest.ts",
            ((*key, ids[key], row.time, row.value) for key, row in newest.items()),
        )
        return len(rows)

    def _series_ids(self, conn: sqlite3.Connection, keys: set[SeriesKey]) -> dict[SeriesKey, int]:
        with self._series_lock:
            missing = [key for key in keys if key not in self._series]
        if missing:
            conn.executemany(
                "INSERT OR IGNORE INTO series (service, role, name, cluster, host) VALUES (?, ?, ?, ?, ?)", missing
            )
            wanted = set(missing)
            found = {}
            # One read per metric name rather than one per new series: a fleet's first write has
            # hundreds of thousands of series but only a few dozen names. The read is narrowed to
            # the clusters of the new series, so writing a fleet cluster by cluster stays linear.
            clusters: dict[tuple[str, str, str], set[str]] = {}
            for service, role, name, cluster, _host in missing:
                clusters.setdefault((service, role, name), set()).add(cluster)
            for (service, role, name), among in clusters.items():
                sql = "SELECT id, cluster, host FROM series WHERE service = ? AND role = ? AND name = ?"
                params = [service, role, name]
                if len(among) <= _CLUSTERS_PER_READ:
                    sql += f" AND cluster IN ({', '.join('?' * len(among))})"
                    params += sorted(among)
                for series_id, cluster, host in conn.execute(sql, params):
                    key = (service, role, name, cluster, host)
                    if key in wanted:
                        found[key] = series_id
            with self._series_lock:
                self._series.update(found)
        with self._series_lock:
            return {key: self._series[key] for key in keys}

    def _insert_logs(self, conn: sqlite3.Connection, rows: Sequence[LogRow]) -> int:
        conn.executemany(
            "INSERT INTO logs (ts, cluster, host, service, role, level, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((r.time, r.cluster, r.host, r.service, r.role, r.level, r.message) for r in rows),
        )
        return len(rows)

    def _insert_processes(self, conn: sqlite3.Connection, rows: Sequence[ProcessState]) -> int:
        conn.executemany(
            "INSERT INTO processes (ts, cluster, host, name, grp, statename, state, start, stop, pid,"
            " exitstatus, spawnerr, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    r.time,
                    r.cluster,
                    r.host,
                    r.name,
                    r.group,
                    r.statename,
                    r.state,
                    r.start,
                    r.stop,
                    r.pid,
                    r.exitstatus,
                    r.spawnerr,
                    r.description,
                )
                for r in rows
            ),
        )
        conn.executemany(
            "INSERT INTO process_current (cluster, host, name, ts, grp, statename, state, start, stop, pid,"
            " exitstatus, spawnerr, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (cluster, host, name) DO UPDATE SET ts = excluded.ts, grp = excluded.grp,"
            " statename = excluded.statename, state = excluded.state, start = excluded.start,"
            " stop = excluded.stop, pid = excluded.pid, exitstatus = excluded.exitstatus,"
            " spawnerr = excluded.spawnerr, description = excluded.description WHERE excluded.ts >= ts",
            (
                (
                    r.cluster,
                    r.host,
                    r.name,
                    r.time,
                    r.group,
                    r.statename,
                    r.state,
                    r.start,
                    r.stop,
                    r.pid,
                    r.exitstatus,
                    r.spawnerr,
                    r.description,
                )
                for r in rows
            ),
        )
        conn.executemany(
            "INSERT INTO process_inventory (cluster, host, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (cluster, host, name) DO UPDATE SET"
            " first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)",
            ((r.cluster, r.host, r.name, r.time, r.time) for r in rows),
        )
        return len(rows)

    def prune(self, before: float) -> dict[str, int]:
        """Delete metrics, logs and process states older than ``before`` (epoch seconds)."""
        removed = {}
        with self._failures("prune"), self._connection() as conn:
            removed["metrics"] = conn.execute("DELETE FROM points WHERE ts < ?", (before,)).rowcount
            conn.execute("DELETE FROM latest WHERE ts < ?", (before,))  # its series has no point left
            removed["logs"] = conn.execute("DELETE FROM logs WHERE ts < ?", (before,)).rowcount
            removed["processes"] = conn.execute("DELETE FROM processes WHERE ts < ?", (before,)).rowcount
            conn.execute("DELETE FROM process_current WHERE ts < ?", (before,))
            conn.execute("DELETE FROM process_inventory WHERE last_seen < ?", (before,))
        return removed

    # -- reading -----------------------------------------------------------------------------

    def latest_values(
        self, service: str, role: str, name: str, start: float, end: float, clusters: Sequence[str] | None = None
    ) -> list[tuple[str, str, float]]:
        """(cluster, host, value) of each host's latest point in ``(start, end]``."""
        return [row[:3] for row in self.latest_points(service, role, name, start, end, clusters)]

    def latest_points(
        self, service: str, role: str, name: str, start: float, end: float, clusters: Sequence[str] | None = None
    ) -> list[tuple[str, str, float, float]]:
        """(cluster, host, value, time) of each host's latest point in ``(start, end]``."""
        sql, params = _latest_sql(service, role, name, start, end, clusters)
        rows = self._connection().execute(f"{sql} ORDER BY cluster, host", params).fetchall()
        return [row for row in rows if row[2] is not None]

    def aggregate_values(
        self,
        aggregate: str,
        service: str,
        role: str,
        name: str,
        start: float,
        end: float,
        clusters: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(cluster, value): ``aggregate`` over the hosts' latest values in ``(start, end]``."""
        return [row[:2] for row in self.aggregate_points(aggregate, service, role, name, start, end, clusters)]

    def aggregate_points(
        self,
        aggregate: str,
        service: str,
        role: str,
        name: str,
        start: float,
        end: float,
        clusters: Sequence[str] | None = None,
    ) -> list[tuple[str, float, float]]:
        """(cluster, value, newest time): ``aggregate`` over the hosts' latest values in ``(start, end]``."""
        function = AGGREGATES[aggregate]
        inner, params = _latest_sql(service, role, name, start, end, clusters)
        # One pass over the metric's range of ``latest``, in cluster order. A cluster whose hosts have
        # no point in the window is left out, here rather than in a HAVING clause, which would
        # evaluate each value a second time.
        sql = f"SELECT cluster, {function}(value), MAX(ts) FROM ({inner}) GROUP BY cluster ORDER BY cluster"
        rows = self._connection().execute(sql, params).fetchall()
        if function == "COUNT":
            return [row for row in rows if row[1] > 0]
        return [row for row in rows if row[1] is not None]

    def newest_logs(
        self, service: str, role: str, start: float, end: float, clusters: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(cluster, time of its newest log line of the role in ``(start, end]``)."""
        sql = (
            "SELECT cluster, MAX(ts) FROM logs WHERE service = ? AND role = ? AND ts > ? AND ts <= ?"
            f"{_in_clusters(clusters)} GROUP BY cluster ORDER BY cluster"
        )
        return self._connection().execute(sql, [service, role, start, end, *(clusters or ())]).fetchall()

    def log_counts(
        self,
        service: str,
        role: str,
        pattern: str,
        start: float,
        end: float,
        by_host: bool = True,
        clusters: Sequence[str] | None = None,
    ) -> list[tuple[str, str | None, int]]:
        """(cluster, host or None, count) of the log lines of a role matching ``pattern``."""
        group = "cluster, host" if by_host else "cluster"
        host = "host" if by_host else "NULL"
        literal = max(re.split(r"[*?]", pattern), key=len)
        literal = literal if literal.isascii() else ""  # LIKE folds the case of ASCII letters only
        # LIKE (case-insensitive for ASCII, like the pattern) drops most lines before Python sees them.
        prefilter = " AND message LIKE ? ESCAPE '\\'" if literal else ""
        sql = (
            f"SELECT cluster, {host}, COUNT(*) FROM logs WHERE service = ? AND role = ? AND ts > ? AND ts <= ?"
            f"{_in_clusters(clusters)}{prefilter} AND khp_match(?, message) GROUP BY {group} ORDER BY {group}"
        )
        like = "%" + literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params = [service, role, start, end, *(clusters or ()), *([like] if literal else []), pattern]
        return self._connection().execute(sql, params).fetchall()

    def process_states(self, start: float, end: float, clusters: Sequence[str] | None = None) -> list[ProcessState]:
        """The latest state in ``(start, end]`` of every process, sorted by cluster, host, name."""
        conn = self._connection()
        (newest,) = conn.execute(
            f"SELECT MAX(ts) FROM process_current WHERE ts > ?{_in_clusters(clusters)}", [start, *(clusters or ())]
        ).fetchone()
        if newest is None or newest <= end:  # nothing newer than the window: the current states are the answer
            sql = (
                "SELECT ts, cluster, host, name, grp, statename, state, start, stop, pid, exitstatus, spawnerr,"
                f" description FROM process_current WHERE ts > ? AND ts <= ?{_in_clusters(clusters)}"
                " ORDER BY cluster, host, name"
            )
            return _states(conn.execute(sql, [start, end, *(clusters or ())]).fetchall())
        sql = (
            "SELECT MAX(ts), cluster, host, name, grp, statename, state, start, stop, pid, exitstatus, spawnerr,"
            f" description FROM processes WHERE ts > ? AND ts <= ?{_in_clusters(clusters)}"
            " GROUP BY cluster, host, name ORDER BY cluster, host, name"
        )
        return _states(conn.execute(sql, [start, end, *(clusters or ())]).fetchall())

    def process_inventory(
        self, start: float, end: float, clusters: Sequence[str] | None = None
    ) -> list[tuple[str, str, str]]:
        """(cluster, host, process name) of every process seen between ``start`` and ``end``."""
        sql = (
            "SELECT cluster, host, name FROM process_inventory WHERE last_seen > ? AND first_seen <= ?"
            f"{_in_clusters(clusters)} ORDER BY cluster, host, name"
        )
        return self._connection().execute(sql, [start, end, *(clusters or ())]).fetchall()

    def metric_paths(self) -> list[str]:
        """Every ``service/role/name`` that has been stored, sorted."""
        rows = self._connection().execute("SELECT DISTINCT service, role, name FROM series ORDER BY 1, 2, 3")
        return [f"{s}/{r}/{n}" for s, r, n in rows]

    def counts(self) -> dict[str, int]:
        """How many metric points, log lines and process states the store holds."""
        conn = self._connection()
        return {
            "metrics": conn.execute("SELECT COUNT(*) FROM points").fetchone()[0],
            "logs": conn.execute("SELECT COUNT(*) FROM logs").fetchone()[0],
            "processes": conn.execute("SELECT COUNT(*) FROM processes").fetchone()[0],
        }


def store_problem(path: Path, doing: str, exc: sqlite3.Error) -> str:
    """What went wrong with the store file and what to do about it, in one line."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"cannot {doing} the store {path}: it is read-only ({text}); make the file and its directory writable"
    if "malformed" in text or "not a database" in text or "disk I/O" in text:
        return (
            f"cannot {doing} the store {path}: the file is damaged ({text}); restore a copy, or move it away"
            " and khp starts an empty one"
        )
    if "locked" in text or "busy" in text:
        return f"cannot {doing} the store {path}: another process holds it ({text}); try again"
    return f"cannot {doing} the store {path}: {text}"


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """WAL mode. Switching a new file to it needs the file alone, and SQLite answers "locked" at once,
    without its busy handler, to another process opening the file meanwhile: wait for it then."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


def _states(rows: Sequence[Sequence]) -> list[ProcessState]:
    return [
        ProcessState(
            time=r[0],
            cluster=r[1],
            host=r[2],
            name=r[3],
            group=r[4],
            statename=r[5],
            state=r[6],
            start=r[7],
            stop=r[8],
            pid=r[9],
            exitstatus=r[10],
            spawnerr=r[11],
            description=r[12],
        )
        for r in rows
    ]


def _in_clusters(clusters: Sequence[str] | None) -> str:
    if clusters is None:
        return ""
    return f" AND cluster IN ({', '.join('?' * len(clusters))})" if clusters else " AND 0"


def _latest_sql(
    service: str, role: str, name: str, start: float, end: float, clusters: Sequence[str] | None
) -> tuple[str, list]:
    """(cluster, host, value, time) of each series of the metric with its newest point in ``(start, end]``.

    ``latest`` holds each series' newest point: one newer than ``start`` and no newer than ``end``
    is the answer; one older than ``start`` means no point in the window; only one newer than
    ``end`` (a query in the past, or data from the future) needs the seek into ``points``.
    """
    where = _in_clusters(clusters)
    sql = (
        "SELECT cluster, host, value, ts FROM latest"
        f" WHERE service = ? AND role = ? AND name = ? AND ts > ? AND ts <= ?{where}"
        " UNION ALL"
        " SELECT l.cluster AS cluster, l.host AS host, p.value AS value, p.ts AS ts FROM latest l"
        " JOIN points p ON p.series = l.series AND p.ts = (SELECT MAX(q.ts) FROM points q"
        "  WHERE q.series = l.series AND q.ts > ? AND q.ts <= ?)"
        f" WHERE l.service = ? AND l.role = ? AND l.name = ? AND l.ts > ?{where.replace('cluster', 'l.cluster')}"
    )
    scope = list(clusters or ())
    return sql, [service, role, name, start, end, *scope, start, end, service, role, name, end, *scope]


def _match_or_false(pattern: str, message: str) -> bool:
    return bool(pattern) and bool(message) and matches(pattern, message)
