"""Bulk writes: many rows in one transaction, each table's rows in a few large statements.

A multi-row ``INSERT ... VALUES (...), (...)`` binds a few hundred rows per statement, which
costs about a third of executing a statement per row. Points go in ordered by (series,
time), the order of their table, and ``latest``, ``process_current`` and ``process_inventory``
get one row per series or process, not one per point or state. ``Bulk.of`` does what needs
no store (flattening, the newest row of each series and process), so another process can
do it while this one writes: a long simulation writes hundreds of millions of rows.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

SeriesKey = tuple[str, str, str, str, str]  # service, role, name, cluster, host
Points = tuple[SeriesKey, Sequence[float], Sequence[float]]  # a series' times (ascending) and values

_ROWS_PER_STATEMENT = 500
_POINTS = "INSERT OR REPLACE INTO points (series, ts, value)"
_LATEST = (
    "INSERT INTO latest (service, role, name, cluster, host, series, ts, value)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service, role, name, cluster, host)"
    " DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= latest.ts"
)
_LOGS = "INSERT INTO logs (ts, cluster, host, service, role, level, message)"
_PROCESSES = (
    "INSERT INTO processes (ts, cluster, host, name, grp, statename, state, start, stop, pid, exitstatus,"
    " spawnerr, description)"
)
_CURRENT = (
    "INSERT INTO process_current (cluster, host, name, ts, grp, statename, state, start, stop, pid,"
    " exitstatus, spawnerr, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (cluster, host, name) DO UPDATE SET ts = excluded.ts, grp = excluded.grp,"
    " statename = excluded.statename, state = excluded.state, start = excluded.start,"
    " stop = excluded.stop, pid = excluded.pid, exitstatus = excluded.exitstatus,"
    " spawnerr = excluded.spawnerr, description = excluded.description WHERE excluded.ts >= ts"
)
_INVENTORY = (
    "INSERT INTO process_inventory (cluster, host, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (cluster, host, name) DO UPDATE SET"
    " first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)"
)


@dataclass
class Bulk:
    """Rows for ``Store.write_bulk``, made ready without the store (``Bulk.of``)."""

    series: list[Points] = field(default_factory=list)  # each with points, times ascending
    newest: list[tuple[float, float]] = field(default_factory=list)  # per series: its newest (time, value)
    logs: list[Any] = field(default_factory=list)  # 7 values per line, one line after the other
    processes: list[Any] = field(default_factory=list)  # 13 values per state
    current: list[tuple[Any, ...]] = field(default_factory=list)  # the newest state of each process
    inventory: list[tuple[str, str, str, float, float]] = field(default_factory=list)  # first and last seen

    @classmethod
    def of(
        cls, series: Sequence[Points] = (), logs: Sequence[Sequence[Any]] = (), processes: Sequence[Sequence[Any]] = ()
    ) -> Bulk:
        """``series`` holds metric points per series, ``((service, role, name, cluster, host), times,
        values)`` with times ascending; ``logs`` and ``processes`` hold tuples in the columns of
        their table: ``(ts, cluster, host, service, role, level, message)`` and ``(ts, cluster,
        host, name, group, statename, state, start, stop, pid, exitstatus, spawnerr, description)``."""
        bulk = cls(series=[entry for entry in series if len(entry[1])])
        newest: dict[SeriesKey, tuple[float, float]] = {}
        for key, times, values in bulk.series:
            seen = newest.get(key)
            if seen is None or times[-1] >= seen[0]:  # of equal times the last one wins, as in points
                newest[key] = (times[-1], values[-1])
        bulk.newest = [newest[key] for key, _times, _values in bulk.series]
        bulk.logs = list(itertools.chain.from_iterable(logs))
        bulk.processes = list(itertools.chain.from_iterable(processes))
        latest, first = _newest_and_first(processes)
        bulk.current = [(*key, state[0], *state[4:]) for key, state in latest.items()]
        bulk.inventory = [(*key, first[key], state[0]) for key, state in latest.items()]
        return bulk

    @property
    def counts(self) -> tuple[int, int, int]:
        """Metric points, log lines and process states."""
        return sum(len(times) for _key, times, _values in self.series), len(self.logs) // 7, len(self.processes) // 13


def _newest_and_first(
    states: Sequence[Sequence[Any]],
) -> tuple[dict[tuple[str, str, str], Sequence[Any]], dict[tuple[str, str, str], float]]:
    """Each process's newest state (of equal times the last) and the time it was first seen."""
    times = list(map(itemgetter(0), states))
    keys = list(map(itemgetter(1, 2, 3), states))
    if all(map(operator.le, times, itertools.islice(times, 1, None))):  # in time order, as a simulation makes them
        return dict(zip(keys, states, strict=True)), dict(zip(reversed(keys), reversed(times), strict=True))
    latest: dict[tuple[str, str, str], Sequence[Any]] = {}
    first: dict[tuple[str, str, str], float] = {}
    for key, state in zip(keys, states, strict=True):
        seen = latest.get(key)
        if seen is None or state[0] >= seen[0]:
            latest[key] = state
        if key not in first or state[0] < first[key]:
            first[key] = state[0]
    return latest, first


def insert(conn: sqlite3.Connection, bulk: Bulk, ids: Mapping[SeriesKey, int]) -> None:
    """Every row of ``bulk`` into its tables; ``ids`` holds the id of each series."""
    ordered = sorted(((ids[key], times, values) for key, times, values in bulk.series), key=itemgetter(0))
    rows = itertools.chain.from_iterable(zip(itertools.repeat(sid), times, values) for sid, times, values in ordered)
    _insert(conn, _POINTS, 3, list(itertools.chain.from_iterable(rows)))
    latest = (
        (*key, ids[key], *newest) for (key, _times, _values), newest in zip(bulk.series, bulk.newest, strict=True)
    )
    conn.executemany(_LATEST, latest)
    _insert(conn, _LOGS, 7, bulk.logs)
    _insert(conn, _PROCESSES, 13, bulk.processes)
    conn.executemany(_CURRENT, bulk.current)
    conn.executemany(_INVENTORY, bulk.inventory)


def _insert(conn: sqlite3.Connection, into: str, width: int, flat: list[Any]) -> None:
    """``flat`` (rows of ``width`` values one after the other) into a table, hundreds of rows per statement."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    rows = max(1, min(_ROWS_PER_STATEMENT, limit // width))
    size = rows * width
    whole = len(flat) - len(flat) % size
    if whole:
        sql = _statement(into, width, rows)
        for start in range(0, whole, size):
            conn.execute(sql, flat[start : start + size])
    if whole < len(flat):
        conn.execute(_statement(into, width, (len(flat) - whole) // width), flat[whole:])


def _statement(into: str, width: int, rows: int) -> str:
    row = f"({', '.join('?' * width)})"
    return f"{into} VALUES {', '.join([row] * rows)}"
