"""The simulated fleet: its clusters, its fault schedule, and the rows it reports at any time."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import cast

from khp.records import LogRow, MetricRow, ProcessState

from ._condition import RESTART_MEMORY, Condition, condition_at
from ._fault import FAULT_KINDS, Fault
from ._logs import LogTuple, log_tuples
from ._metric_values import MetricPlan, SeriesKey
from ._processes import ProcessPlan, ProcessTuple, process_state
from ._schedule import FaultSchedule, validate
from ._topology import Cluster, build_cluster

ROW_KINDS = ("metrics", "logs", "processes")


@dataclass
class Batch:
    """The rows a fleet (or some of its clusters) reports at one time."""

    metrics: list[MetricRow] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    processes: list[ProcessState] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.logs) + len(self.processes)


@dataclass
class Chunk:
    """The rows of some clusters over consecutive steps, shaped for ``Bulk.of`` (``khp.store``).

    ``series`` holds each metric series' points as ``(key, times, values)``, times ascending;
    ``logs`` and ``processes`` hold tuples in the store's column order (``LogRow(*line)`` is the
    record of a line), in time order. The same rows as the ``Batch`` of each step, in another shape.
    """

    series: list[tuple[SeriesKey, Sequence[float], Sequence[float]]] = field(default_factory=list)
    logs: list[LogTuple] = field(default_factory=list)
    processes: list[ProcessTuple] = field(default_factory=list)


class Fleet:
    """A deterministic fleet of ``clusters`` clusters whose faults come and heal.

    The rows at time ``t`` depend only on ``(seed, clusters, hosts_per_cluster, fault_rate,
    faults, t)``: the same fleet gives the same rows whether it is simulated in one batch or
    asked step by step in a live demo. ``fault_rate`` scales how often faults start (0: never;
    1.0: about 0.6 a cluster an hour); ``faults`` plants extra faults of your own::

        fleet = Fleet(clusters=100, seed=7)
        batch = fleet.rows_at(1795946400)
        fleet.active_faults(1795946400)   # [Fault(kind='disk_full', cluster='kudu-004', ...), ...]
    """

    def __init__(
        self,
        clusters: int = 10,
        seed: int = 1,
        fault_rate: float = 1.0,
        hosts_per_cluster: int = 30,
        faults: Iterable[Fault] = (),
    ) -> None:
        if clusters < 1:
            raise ValueError(f"a fleet has at least one cluster, got {clusters}")
        if hosts_per_cluster < 5:
            raise ValueError(f"hosts_per_cluster is at least 5, got {hosts_per_cluster}")
        self.seed = seed
        self.fault_rate = fault_rate
        self.hosts_per_cluster = hosts_per_cluster
        self.clusters: tuple[Cluster, ...] = tuple(build_cluster(n, hosts_per_cluster) for n in range(1, clusters + 1))
        self._by_name = {cluster.name: cluster for cluster in self.clusters}
        self._schedule = FaultSchedule(seed, fault_rate)
        planted = [_complete(fault) for fault in faults]
        validate(planted, self._by_name)
        self._planted: dict[str, list[Fault]] = defaultdict(list)
        for fault in planted:
            self._planted[fault.cluster].append(fault)
        self._plans: dict[str, tuple[MetricPlan, ProcessPlan]] = {}

    def __repr__(self) -> str:
        return f"Fleet(clusters={len(self.clusters)}, seed={self.seed}, fault_rate={self.fault_rate})"

    # -- shape -------------------------------------------------------------------------------

    def cluster(self, name: str) -> Cluster:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no cluster {name!r} in this fleet of {len(self.clusters)}") from None

    @property
    def hosts(self) -> int:
        return sum(len(cluster.hosts) for cluster in self.clusters)

    @property
    def processes(self) -> int:
        return sum(cluster.processes for cluster in self.clusters)

    # -- faults ------------------------------------------------------------------------------

    def faults_between(self, start: float, end: float, clusters: Iterable[str] | None = None) -> list[Fault]:
        """Every fault active at some time in ``[start, end)``, by start time."""
        found = []
        for cluster in self._select(clusters):
            found.extend(self._faults(cluster, start, end))
        return sorted(found, key=lambda f: (f.start, f.cluster, f.kind, f.host or ""))

    def active_faults(self, t: float) -> list[Fault]:
        """The faults active at ``t``."""
        return [fault for fault in self.faults_between(t, math.nextafter(t, math.inf)) if fault.active(t)]

    def _faults(self, cluster: Cluster, start: float, end: float) -> list[Fault]:
        found = self._schedule.overlapping(cluster, start, end)
        planted = self._planted.get(cluster.name)
        if planted:
            found = sorted([*found, *(f for f in planted if f.overlaps(start, end))], key=lambda f: f.start)
        return found

    # -- rows --------------------------------------------------------------------------------

    def rows_at(self, t: float, since: float | None = None, clusters: Iterable[str] | None = None) -> Batch:
        """The metrics and process states reported at ``t``, and the log lines written in ``(since, t]``.

        ``since`` defaults to one minute before ``t``; ``clusters`` limits the batch to those
        names (all by default), which keeps a step of a large fleet small in memory.
        """
        since = t - 60.0 if since is None else since
        batch = Batch()
        for cluster in self._select(clusters):
            # Recently healed faults still matter: a crashed program shows when it came back.
            faults = self._faults(cluster, min(since - 60.0, t - RESTART_MEMORY), math.nextafter(t, math.inf))
            condition = condition_at(cluster, faults, t)
            metrics, programs = self._plan(cluster)
            batch.metrics += [
                MetricRow(t, key[3], key[4], key[0], key[1], key[2], value)
                for key, value in zip(metrics.keys, metrics.values(t, condition), strict=True)
                if value is not None
            ]
            processes: list[ProcessTuple] = []
            programs.states(t, condition, processes)
            batch.processes += [process_state(row) for row in processes]
            logs: list[LogTuple] = []
            log_tuples(cluster, since, t, self.seed, functools.partial(condition_at, cluster, faults), logs)
            batch.logs += [LogRow(*line) for line in logs]
        return batch

    def chunk(
        self,
        times: Sequence[float],
        since: float,
        clusters: Iterable[str] | None = None,
        kinds: Collection[str] = ROW_KINDS,
        metric_paths: Collection[str] | None = None,
    ) -> Chunk:
        """The rows of ``rows_at(t)`` for each of ``times`` (ascending), log lines of ``(since, times[-1]]``.

        What a step-by-step simulation writes, made in one go: the faults are looked up once
        and each series' points come together. ``kinds`` (some of ``metrics``, ``logs``,
        ``processes``) and ``metric_paths`` (``service/role/name``) leave the others out.
        """
        chunk = Chunk()
        if not times:
            return chunk
        first, last = times[0], times[-1]
        paths = None if metric_paths is None else frozenset(metric_paths)
        chosen = self._select(clusters)
        faults = {
            cluster.name: self._faults(
                cluster, min(since - 60.0, first - RESTART_MEMORY), math.nextafter(last, math.inf)
            )
            for cluster in chosen
        }
        conditions = {c.name: [condition_at(c, faults[c.name], t) for t in times] for c in chosen}
        if "metrics" in kinds:
            for cluster in chosen:
                chunk.series += self._series(cluster, times, conditions[cluster.name], paths)
        if "processes" in kinds:  # in time order, the order of their table's index
            for index, t in enumerate(times):
                for cluster in chosen:
                    self._plan(cluster)[1].states(t, conditions[cluster.name][index], chunk.processes)
        if "logs" in kinds:
            for cluster in chosen:
                made = functools.partial(condition_at, cluster, faults[cluster.name])
                log_tuples(cluster, since, last, self.seed, made, chunk.logs)
            chunk.logs.sort(key=itemgetter(0))
        return chunk

    def _series(
        self, cluster: Cluster, times: Sequence[float], conditions: Sequence[Condition], paths: frozenset[str] | None
    ) -> list[tuple[SeriesKey, Sequence[float], Sequence[float]]]:
        plan = self._plan(cluster)[0]
        steps = [plan.values(t, condition) for t, condition in zip(times, conditions, strict=True)]
        gaps = any(c.silent or c.down or c.hung or c.removed for c in conditions)  # some value is None
        found: list[tuple[SeriesKey, Sequence[float], Sequence[float]]] = []
        for key, column in zip(plan.keys, zip(*steps, strict=True), strict=True):
            if paths is not None and f"{key[0]}/{key[1]}/{key[2]}" not in paths:
                continue
            if gaps and None in column:
                kept = [(t, value) for t, value in zip(times, column, strict=True) if value is not None]
                found.append((key, [t for t, _ in kept], [value for _, value in kept]))
            else:
                found.append((key, times, cast("tuple[float, ...]", column)))  # no None in it
        return found

    def _plan(self, cluster: Cluster) -> tuple[MetricPlan, ProcessPlan]:
        plan = self._plans.get(cluster.name)
        if plan is None:
            plan = self._plans[cluster.name] = (MetricPlan(cluster, self.seed), ProcessPlan(cluster, self.seed))
        return plan

    def unreachable(self, t: float, clusters: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
        """The hosts whose Supervisor does not answer at ``t``, as ``(cluster, host, reason)``.

        A live Supervisor source reports them so; stored process states cannot say it, so on the
        embedded store these hosts just send no process state.
        """
        found: list[tuple[str, str, str]] = []
        for cluster in self._select(clusters):
            condition = condition_at(cluster, self._faults(cluster, t, math.nextafter(t, math.inf)), t)
            found.extend(
                (cluster.name, host, "[Errno 111] Connection refused") for host in sorted(condition.unanswered)
            )
        return found

    def _select(self, names: Iterable[str] | None) -> Sequence[Cluster]:
        if names is None:
            return self.clusters
        return [self.cluster(name) for name in names]


def _complete(fault: Fault) -> Fault:
    """A planted host fault without a program gets its kind's program."""
    kind = FAULT_KINDS[fault.kind]
    if fault.program is None and kind.program:
        return dataclasses.replace(fault, program=kind.program)
    return fault
