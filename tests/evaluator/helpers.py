"""What the evaluator's tests share: the evaluation time, a do-nothing monitor, storing rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evaluator import Monitor
from evaluator.testing import DEFAULT_AT, Row
from khp.configuration import parse_time
from khp.store import Store

AT = parse_time(DEFAULT_AT)


class Probe(Monitor):
    """A monitor whose DSL a test calls directly."""

    def run(self) -> None:
        pass


def write_rows(store: Store, rows: Iterable[Any], at: float = AT) -> None:
    """Store test-kit rows (placed relative to ``at``) and plain records."""
    by_kind: dict[str, list[Any]] = {"metrics": [], "logs": [], "processes": []}
    for row in rows:
        record = row.at(at) if isinstance(row, Row) else row
        kind = type(record).__name__
        by_kind[{"MetricRow": "metrics", "LogRow": "logs", "ProcessState": "processes"}[kind]].append(record)
    for kind, records in by_kind.items():
        store.write(kind, records)
