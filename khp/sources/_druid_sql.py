"""The Druid SQL of a metric query: pure text, no I/O.

A host-level query asks for each host's latest value in the window; a cluster aggregate
runs the same query as a subquery and aggregates the hosts' latest values in Druid::

    SELECT "cluster", MAX("value") AS "value" FROM (
      SELECT "cluster", "host", LATEST("value") AS "value" FROM "khp-service-metrics"
      WHERE __time > TIME_SHIFT(TIMESTAMP '2026-11-29 10:00:00', 'PT10M', -1)
        AND __time <= TIMESTAMP '2026-11-29 10:00:00'
        AND "service" = 'druid' AND "role" = 'overlord' AND "name" = 'taskSlot.used.count'
      GROUP BY "cluster", "host") GROUP BY "cluster"

(one line when sent). The evaluation time is a TIMESTAMP literal, never CURRENT_TIMESTAMP,
so a cycle can run as of a past time; literals are read in the ``sqlTimeZone`` the source
pins to UTC. Every value from a query is a quoted literal: nothing a metric path holds can
change the statement.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ._model import MetricQuery

AGGREGATES = {"max": "MAX", "min": "MIN", "sum": "SUM", "avg": "AVG", "count": "COUNT"}


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (``"khp-service-metrics"`` unquoted is a subtraction)."""
    return '"' + name.replace('"', '""') + '"'


def quote_string(value: str) -> str:
    """``value`` as a single-quoted SQL string literal; Druid SQL escapes a quote by doubling it."""
    return "'" + value.replace("'", "''") + "'"


def timestamp_literal(seconds: float) -> str:
    """Epoch ``seconds`` as a Druid TIMESTAMP literal in UTC, to the millisecond Druid keeps."""
    millis = round(seconds * 1000)
    moment = datetime.fromtimestamp(millis // 1000, UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if millis % 1000:
        text += f".{millis % 1000:03d}"
    return f"TIMESTAMP '{text}'"


def period(seconds: float) -> str:
    """``seconds`` as an ISO-8601 period for TIME_SHIFT: ``600`` -> ``'PT10M'``, ``0.25`` -> ``'PT0.250S'``."""
    millis = round(seconds * 1000)
    if millis <= 0:
        raise ValueError(f"a window must be longer than 0 ms, got {seconds!r} s")
    for unit, size in (("H", 3_600_000), ("M", 60_000), ("S", 1000)):
        if millis % size == 0:
            return f"PT{millis // size}{unit}"
    return f"PT{millis // 1000}.{millis % 1000:03d}S"


def metric_sql(query: MetricQuery, datasource: str) -> str:
    """The one-line Druid SQL answering ``query`` from ``datasource``."""
    if query.aggregate is not None and query.aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate {query.aggregate!r}; use one of {', '.join(AGGREGATES)}")
    if query.clusters is not None and not query.clusters:
        raise ValueError("an empty cluster scope has no SQL; it answers nothing")
    at = timestamp_literal(query.end)
    conditions = [
        f"__time > TIME_SHIFT({at}, {quote_string(period(query.end - query.start))}, -1)",
        f"__time <= {at}",
        f'"service" = {quote_string(query.service)}',
        f'"role" = {quote_string(query.role)}',
        f'"name" = {quote_string(query.name)}',
    ]
    if query.clusters is not None:
        conditions.append(f'"cluster" IN ({", ".join(quote_string(c) for c in query.clusters)})')
    latest = (
        f'SELECT "cluster", "host", LATEST("value") AS "value" FROM {quote_identifier(datasource)}'
        f' WHERE {" AND ".join(conditions)} GROUP BY "cluster", "host"'
    )
    if query.aggregate is None:
        return latest
    return f'SELECT "cluster", {AGGREGATES[query.aggregate]}("value") AS "value" FROM ({latest}) GROUP BY "cluster"'
