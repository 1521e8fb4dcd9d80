"""The simulated fleet: its clusters, its fault schedule, and the rows it reports at any time."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from khp.records import LogRow, MetricRow, ProcessState

from ._condition import RESTART_MEMORY, condition_at
from ._fault import FAULT_KINDS, Fault
from ._logs import log_rows
from ._metrics import metric_rows
from ._processes import process_rows
from ._schedule import FaultSchedule, validate
from ._topology import Cluster, build_cluster


@dataclass
class Batch:
    """The rows a fleet (or some of its clusters) reports at one time."""

    metrics: list[MetricRow] = field(default_factory=list)
    logs: list[LogRow] = field(default_factory=list)
    processes: list[ProcessState] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.logs) + len(self.processes)


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
            metric_rows(cluster, t, self.seed, condition, batch.metrics)
            process_rows(cluster, t, self.seed, condition, batch.processes)
            log_rows(cluster, since, t, self.seed, functools.partial(condition_at, cluster, faults), batch.logs)
        return batch

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
