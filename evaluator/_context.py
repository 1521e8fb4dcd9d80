"""One evaluation: the time, the clusters in scope, and the queries shared by its monitors."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from khp.configuration import Config
from khp.records import ProcessState
from khp.sources import LogQuery, MetricQuery, ProcessQuery, Sample, Sources

from ._errors import DslError
from ._feeds import FeedObservations
from ._inventory import Inventory, RoleNamer, build_inventory
from ._queries import CycleQueries
from ._vector import Element, in_order

AGGREGATES = ("max", "min", "sum", "avg", "count")


@dataclass(frozen=True)
class RolePath:
    service: str
    role: str
    rest: str

    @classmethod
    def parse(cls, path: str, what: str = "metric") -> RolePath:
        parts = path.split("/", 2) if isinstance(path, str) else []
        if len(parts) != 3 or not all(parts):
            raise DslError(
                f"{path!r} is not a {what} path; write 'service/role/{'pattern' if what == 'log' else 'name'}',"
                " for example 'kudu/tserver/server.tablets_num_running'"
            )
        return cls(*parts)


def parse_role(role: str) -> str:
    parts = role.split("/") if isinstance(role, str) else []
    if len(parts) != 2 or not all(parts):
        raise DslError(f"{role!r} is not a role; write 'service/role', for example 'zookeeper/server'")
    return role


class EvaluationContext:
    """What monitors of one cycle share: evaluation time, window, cluster scope, query cache."""

    def __init__(
        self,
        config: Config,
        sources: Sources,
        queries: CycleQueries,
        at: float,
        clusters: Sequence[str] | None = None,
        feeds: FeedObservations | None = None,
    ) -> None:
        self.config = config
        self.sources = sources
        self.queries = queries
        self.at = at
        self.window = config.evaluation.window
        self.clusters = tuple(clusters) if clusters is not None else None
        self.role_of = RoleNamer(config.inventory)
        self.feeds = feeds if feeds is not None else FeedObservations()

    def metric(self, path: str, aggregate: str | None, window: float | None = None) -> Future[list[Element]]:
        if aggregate is not None and aggregate not in AGGREGATES:
            raise DslError(f"unknown aggregate {aggregate!r}; use one of {', '.join(AGGREGATES)}")
        parsed = RolePath.parse(path)
        start = self.at - (self.window if window is None else window)
        query = MetricQuery(
            service=parsed.service,
            role=parsed.role,
            name=parsed.rest,
            start=start,
            end=self.at,
            aggregate=aggregate,
            clusters=self.clusters,
        )

        def run() -> list[Element]:
            samples = self.sources.metrics.query(query)
            for sample in samples:
                # a source that cannot tell the time still shows the data is inside the window
                when = query.start if sample.time is None else sample.time
                self.feeds.note("metrics", sample.cluster, query.path, when)
            return _elements(samples)

        return self.queries.submit("metrics", query, run)

    def log_count(self, path: str, period: float, by: str) -> Future[list[Element]]:
        if by not in ("host", "cluster"):
            raise DslError(f"by={by!r}: count log lines by 'host' or 'cluster'")
        parsed = RolePath.parse(path, "log")
        query = LogQuery(
            service=parsed.service,
            role=parsed.role,
            pattern=parsed.rest,
            start=self.at - period,
            end=self.at,
            by=by,
            clusters=self.clusters,
        )
        self._log_freshness(query)
        return self.queries.submit("logs", query, lambda: _elements(self.sources.logs.count(query)))

    def _log_freshness(self, query: LogQuery) -> None:
        """Ask for the newest line of the role, whatever its message: zero matches must not look like a dead feed."""
        newest = getattr(self.sources.logs, "newest", None)
        if newest is None:
            return
        path = f"{query.service}/{query.role}"
        asked = LogQuery(query.service, query.role, "*", query.start, query.end, "cluster", query.clusters)

        def run() -> None:
            for cluster, time in newest(asked):
                self.feeds.note("logs", cluster, path, time)

        self.feeds.track(self.queries.submit("logs", ("newest", asked), run))

    def log_search(self, body: Mapping[str, Any], index: str | None) -> Future[list[Element]]:
        try:
            key = json.dumps(body, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise DslError(f"log_search takes a JSON-like query body: {exc}") from None
        scope = set(self.clusters) if self.clusters is not None else None

        def search() -> list[Element]:
            samples = self.sources.logs.raw(body, index)
            return _elements([s for s in samples if scope is None or s.cluster in scope])

        return self.queries.submit("logs", ("search", key, index), search)

    def process_states(self) -> Future[Sequence[ProcessState]]:
        query = ProcessQuery(start=self.at - self.window, end=self.at, clusters=self.clusters)

        def run() -> Sequence[ProcessState]:
            states = self.sources.processes.states(query)
            for state in states:
                self.feeds.note("processes", state.cluster, "processes", state.time)
            return states

        return self.queries.submit("processes", ("states", query), run)

    def unreachable(self) -> Future[Sequence[tuple[str, str, str]]]:
        query = ProcessQuery(start=self.at - self.window, end=self.at, clusters=self.clusters)
        return self.queries.submit(
            "processes", ("unreachable", query), lambda: self.sources.processes.unreachable(query)
        )

    def inventory(self) -> Future[Inventory]:
        query = ProcessQuery(start=self.at - self.config.inventory.window, end=self.at, clusters=self.clusters)

        def build() -> Inventory:
            seen = self.sources.processes.seen(query)
            return build_inventory(self.config.clusters, seen, self.role_of, self.clusters)

        return self.queries.submit("processes", ("inventory", query), build)


def _elements(samples: Sequence[Sample]) -> list[Element]:
    """An answer as sorted elements: built once per query, in its thread, and shared by every vector of it."""
    return in_order([Element(s[0], s[1], float(s[2])) for s in samples])
