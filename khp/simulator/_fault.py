"""Faults: something that goes wrong on a cluster (or one of its hosts) for a while, then heals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultKind:
    """A kind of fault: where it happens, how often relative to the others, what it looks like.

    ``program`` is the Supervisor program a host must run to get it (``""``: any host;
    ``None``: the fault is cluster-wide). ``long`` kinds last an hour or more; the others are
    mostly a few minutes, as most real problems heal before anyone is told.
    """

    name: str
    kinds: tuple[str, ...]
    program: str | None
    weight: float
    description: str
    long: bool = False
    min_duration: float = 60.0


_ALL = ("hadoop", "druid", "kudu", "kafka")
_ZK = ("hadoop", "druid", "kafka")

FAULT_KINDS: dict[str, FaultKind] = {
    kind.name: kind
    for kind in (
        FaultKind("disk_full", _ALL, "", 3, "the fullest data disk fills up (free space falls below 15%, then 5%)"),
        FaultKind("cpu_spike", _ALL, "", 4, "CPU user + system above 90%"),
        FaultKind("memory_pressure", _ALL, "", 2, "memory used above 90%"),
        FaultKind(
            "process_crash",
            _ALL,
            "",
            4,
            "a program keeps exiting: BACKOFF, then FATAL 'Exited too quickly'; its metrics stop",
        ),
        FaultKind(
            "host_silent",
            _ALL,
            "",
            1,
            "the host stops reporting anything (metrics, logs, process states)",
            min_duration=900.0,
        ),
        FaultKind("hdfs_missing_blocks", ("hadoop",), None, 2, "NameNodes report missing blocks"),
        FaultKind("hdfs_corrupt_blocks", ("hadoop",), None, 2, "NameNodes report corrupt blocks"),
        FaultKind("hdfs_capacity_high", ("hadoop",), None, 1, "HDFS used above 82% of capacity", long=True),
        FaultKind(
            "datanode_dead",
            ("hadoop",),
            "hdfs-datanode",
            2,
            "a DataNode hangs: it stops reporting and the NameNodes count it dead",
        ),
        FaultKind("namenode_heap_pressure", ("hadoop",), "hdfs-namenode", 1, "NameNode heap above 88%, long GCs"),
        FaultKind(
            "yarn_unhealthy_nodemanagers", ("hadoop",), None, 2, "ResourceManagers report unhealthy NodeManagers"
        ),
        FaultKind("yarn_lost_nodemanagers", ("hadoop",), None, 1, "ResourceManagers report lost NodeManagers"),
        FaultKind("yarn_pending_apps", ("hadoop",), None, 2, "more than 150 applications wait for resources"),
        FaultKind("hbase_regions_in_transition", ("hadoop",), None, 2, "regions in transition, some stuck"),
        FaultKind(
            "hbase_slow_responses",
            ("hadoop",),
            "hbase-regionserver",
            3,
            "a RegionServer logs 10-40 responseTooSlow/responseTooLarge lines a minute",
        ),
        FaultKind("hbase_compaction_backlog", ("hadoop",), "hbase-regionserver", 2, "compaction queue above 120"),
        FaultKind(
            "regionserver_gc_pressure", ("hadoop",), "hbase-regionserver", 2, "RegionServer GC time above 7 s a minute"
        ),
        FaultKind(
            "zookeeper_down",
            _ZK,
            "zookeeper-server",
            1,
            "a ZooKeeper server is EXITED or FATAL: the quorum is one failure from loss",
        ),
        FaultKind("zookeeper_overloaded", _ZK, "zookeeper-server", 1, "a ZooKeeper server queues 150+ requests"),
        FaultKind("druid_slots_full", ("druid",), None, 3, "overlords report 92-100% of task slots used"),
        FaultKind("druid_unavailable_segments", ("druid",), None, 2, "the coordinator reports unavailable segments"),
        FaultKind("druid_historical_full", ("druid",), "druid-historical", 2, "a historical's segment cache above 88%"),
        FaultKind("kudu_failed_tablets", ("kudu",), "kudu-tserver", 3, "a tablet server reports failed tablets"),
        FaultKind(
            "kudu_too_many_tablets",
            ("kudu",),
            "kudu-tserver",
            1,
            "a tablet server carries more than 2,100 tablets after a rebalance",
            long=True,
        ),
        FaultKind("kafka_under_replicated", ("kafka",), None, 3, "brokers report under-replicated partitions"),
        FaultKind("kafka_offline_partitions", ("kafka",), None, 1, "the controller reports offline partitions"),
        FaultKind("kafka_no_controller", ("kafka",), None, 1, "no broker reports itself the active controller"),
    )
}


@dataclass(frozen=True)
class Fault:
    """One fault: its kind, where, from ``start`` for ``duration`` seconds, and how bad (``intensity`` 0-1).

    ``host`` is ``None`` for cluster-wide faults; ``program`` names the Supervisor program a
    ``process_crash`` hits.
    """

    kind: str
    cluster: str
    start: float
    duration: float
    host: str | None = None
    program: str | None = None
    intensity: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(FAULT_KINDS))}")
        if self.duration <= 0:
            raise ValueError(f"a fault lasts a positive number of seconds, got {self.duration!r}")
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError(f"intensity is between 0 and 1, got {self.intensity!r}")

    @property
    def end(self) -> float:
        """When it has healed (exclusive)."""
        return self.start + self.duration

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    def overlaps(self, start: float, end: float) -> bool:
        """Whether it is active at some time in ``[start, end)``."""
        return self.start < end and start < self.end

    @property
    def description(self) -> str:
        return FAULT_KINDS[self.kind].description

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cluster": self.cluster,
            "host": self.host,
            "program": self.program,
            "start": self.start,
            "end": self.end,
            "duration": self.duration,
            "intensity": round(self.intensity, 3),
        }
