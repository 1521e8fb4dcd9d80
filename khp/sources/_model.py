"""What a source is asked and what it answers; the contracts every source implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from khp.records import ProcessState


@dataclass(frozen=True)
class MetricQuery:
    """Latest value per host of ``service/role/name`` in ``(start, end]``; aggregated per cluster when asked."""

    service: str
    role: str
    name: str
    start: float
    end: float
    aggregate: str | None = None
    clusters: tuple[str, ...] | None = None

    @property
    def path(self) -> str:
        return f"{self.service}/{self.role}/{self.name}"


@dataclass(frozen=True)
class LogQuery:
    """Count of a role's log lines whose message has a word matching ``pattern`` in ``(start, end]``."""

    service: str
    role: str
    pattern: str
    start: float
    end: float
    by: str = "host"
    clusters: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProcessQuery:
    """Processes in ``(start, end]``: their latest states, or just which ones were seen."""

    start: float
    end: float
    clusters: tuple[str, ...] | None = None


class Sample(NamedTuple):
    """One element of an answer: a cluster (and host, for host-level answers) and a value.

    A named tuple rather than a dataclass: a fleet's answer has hundreds of thousands of them, and
    a tuple of strings and numbers is built several times faster and is not tracked by the
    garbage collector.

    ``time`` is when the newest data behind the value was taken, where the source can tell (it tells
    the evaluator how fresh each feed is).
    """

    cluster: str
    host: str | None
    value: float
    time: float | None = None


class MetricSource(Protocol):
    def query(self, query: MetricQuery) -> Sequence[Sample]: ...


class LogSource(Protocol):
    def count(self, query: LogQuery) -> Sequence[Sample]: ...

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> Sequence[Sample]:
        """Run a source-native query body (Elasticsearch ``_search``) and read its aggregation as samples."""
        ...


class ProcessSource(Protocol):
    def states(self, query: ProcessQuery) -> Sequence[ProcessState]: ...

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        """(cluster, host, process name) of every process seen in the period."""
        ...

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        """(cluster, host, reason) of every host whose process manager did not answer."""
        ...
