"""History events as Elasticsearch documents: monthly indices, the index template, bulk lines, queries.

This module does no I/O. An event goes into ``<prefix>-YYYY.MM`` of its own time (UTC), under
the id ``HistoryEvent.identity()``, so replaying it overwrites the same document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from khp.sources._elasticsearch import _error_text

from ._event import HistoryEvent

KEYWORD_FIELDS = ("kind", "key", "check", "monitor", "cluster", "host", "severity", "channel", "room", "actor")
MAX_MONTHS = 24  # a longer range searches every index of the prefix


def index_template(prefix: str) -> dict[str, Any]:
    """The body of ``PUT /_index_template/<prefix>``: keywords, a date, numbers, the detail as text."""
    properties: dict[str, Any] = {
        "@timestamp": {"type": "date"},
        "time": {"type": "double"},  # epoch seconds, exact: @timestamp keeps milliseconds only
        **{name: {"type": "keyword"} for name in KEYWORD_FIELDS},
        "value": {"type": "double"},
        "threshold": {"type": "double"},
        "detail": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
    }
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 200,
        "template": {"settings": {"number_of_shards": 1}, "mappings": {"properties": properties}},
        "_meta": {"description": "khp-monitor alert history: problem transitions and notifications"},
    }


def index_name(prefix: str, time: float) -> str:
    """The monthly index of an event at ``time``: ``khp-alert-history-2026.11``."""
    return f"{prefix}-{dt.datetime.fromtimestamp(time, dt.UTC):%Y.%m}"


def document(event: HistoryEvent) -> dict[str, Any]:
    moment = dt.datetime.fromtimestamp(event.time, dt.UTC)
    return {
        "@timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        **event.as_dict(),
    }


def event_of(source: Mapping[str, Any]) -> HistoryEvent:
    """The event a document holds (``ValueError`` if it holds none)."""
    if "time" not in source and "@timestamp" in source:
        stamp = str(source["@timestamp"]).replace("Z", "+00:00")
        source = {**source, "time": dt.datetime.fromisoformat(stamp).timestamp()}
    return HistoryEvent.from_dict(source)


def bulk_operations(prefix: str, events: Sequence[HistoryEvent]) -> list[dict[str, Any]]:
    """Action and source lines of a ``_bulk`` request, two per event, in the events' order."""
    lines: list[dict[str, Any]] = []
    for event in events:
        lines.append({"index": {"_index": index_name(prefix, event.time), "_id": event.identity()}})
        lines.append(document(event))
    return lines


@dataclass(frozen=True)
class Outcome:
    """What ``_bulk`` did with one event: stored it, asks to retry it (429, 5xx), or refused it for good."""

    status: int
    index: str = ""
    error: str = ""

    @property
    def stored(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retry(self) -> bool:
        return self.status == 429 or self.status >= 500 or not self.status

    @property
    def refused(self) -> bool:
        return not self.stored and not self.retry


def bulk_outcomes(answer: Mapping[str, Any], expected: int) -> list[Outcome]:
    """The outcome of each item of a ``_bulk`` answer, in request order; ``ValueError`` if they don't add up."""
    items = answer.get("items")
    if not isinstance(items, list) or len(items) != expected:
        raise ValueError(f"the answer does not have one item per event ({expected} sent): {str(answer)[:200]}")
    outcomes = []
    for item in items:
        result: Any = next(iter(item.values()), {}) if isinstance(item, Mapping) and item else {}
        status = result.get("status") if isinstance(result, Mapping) else None
        if not isinstance(status, int):
            raise ValueError(f"an item of the answer has no status: {str(item)[:200]}")
        outcomes.append(Outcome(status, str(result.get("_index", "")), _error_text(result.get("error"))))
    return outcomes


def indices_between(prefix: str, since: float, until: float) -> str:
    """The index expression for ``[since, until)``: one pattern per month (missing ones match nothing)."""
    first = dt.datetime.fromtimestamp(since, dt.UTC)
    last = dt.datetime.fromtimestamp(max(since, until - 0.001), dt.UTC)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_MONTHS:
        return f"{prefix}-*"
    names = []
    year, month = first.year, first.month
    for _ in range(months):
        names.append(f"{prefix}-{year:04d}.{month:02d}*")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ",".join(names)


def search_body(
    since: float,
    until: float,
    cluster: str | None,
    kinds: Collection[str] | None,
    size: int,
    start: int = 0,
) -> dict[str, Any]:
    """A filter-only search of ``since <= time < until``.

    It counts every hit and asks for the first and last time among them, so that a range with
    more hits than a page can be split where its events are.
    """
    filters: list[dict[str, Any]] = [{"range": {"time": {"gte": since, "lt": until}}}]
    if cluster is not None:
        filters.append({"term": {"cluster": cluster}})
    if kinds is not None:
        filters.append({"terms": {"kind": sorted(kinds)}})
    body: dict[str, Any] = {
        "query": {"bool": {"filter": filters}},
        "size": size,
        "track_total_hits": True,
        "aggs": {"first": {"min": {"field": "time"}}, "last": {"max": {"field": "time"}}},
    }
    if start:
        body["from"] = start
    return body
