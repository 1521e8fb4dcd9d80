"""Sources over the embedded SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from khp.records import ProcessState
from khp.store import Store

from ._errors import SourceError
from ._model import LogQuery, MetricQuery, ProcessQuery, Sample


class EmbeddedMetrics:
    """Metric vectors from the embedded store."""

    name = "embedded"

    def __init__(self, store: Store) -> None:
        self.store = store

    def query(self, query: MetricQuery) -> list[Sample]:
        try:
            if query.aggregate is None:
                rows = self.store.latest_points(
                    query.service, query.role, query.name, query.start, query.end, query.clusters
                )
                return list(map(Sample._make, rows))
            aggregated = self.store.aggregate_points(
                query.aggregate, query.service, query.role, query.name, query.start, query.end, query.clusters
            )
            return [Sample(cluster, None, value, ts) for cluster, value, ts in aggregated]
        except sqlite3.Error as exc:
            raise SourceError("embedded store", f"{query.path}: {exc}") from exc


class EmbeddedLogs:
    """Log counts from the embedded store."""

    name = "embedded"

    def __init__(self, store: Store) -> None:
        self.store = store

    def count(self, query: LogQuery) -> list[Sample]:
        try:
            rows = self.store.log_counts(
                query.service, query.role, query.pattern, query.start, query.end, query.by == "host", query.clusters
            )
        except sqlite3.Error as exc:
            raise SourceError("embedded store", f"logs of {query.service}/{query.role}: {exc}") from exc
        return [Sample(cluster, host, float(count)) for cluster, host, count in rows]

    def newest(self, query: LogQuery) -> list[tuple[str, float]]:
        """(cluster, time of the newest line of the query's role in its period), whatever the message."""
        try:
            return self.store.newest_logs(query.service, query.role, query.start, query.end, query.clusters)
        except sqlite3.Error as exc:
            raise SourceError("embedded store", f"logs of {query.service}/{query.role}: {exc}") from exc

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> Sequence[Sample]:
        raise SourceError(
            "embedded store",
            "a raw Elasticsearch query needs the Elasticsearch log source (sources.logs.type: elasticsearch);"
            " the embedded store answers log_count patterns only",
        )


class EmbeddedProcesses:
    """Process states from the embedded store."""

    name = "embedded"

    def __init__(self, store: Store) -> None:
        self.store = store

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        try:
            return self.store.process_states(query.start, query.end, query.clusters)
        except sqlite3.Error as exc:
            raise SourceError("embedded store", f"process states: {exc}") from exc

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        """Loaded process states have no notion of a host that did not answer: always none."""
        return ()

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        try:
            return self.store.process_inventory(query.start, query.end, query.clusters)
        except sqlite3.Error as exc:
            raise SourceError("embedded store", f"process inventory: {exc}") from exc
