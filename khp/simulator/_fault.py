"""Faults: something that goes wrong on a cluster (or one of its hosts) for a while, then heals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultKind:
    """A kind of fault: where it happens, how often relative to the others, what it looks like.

    ``program`` is the Supervisor program a host must run to get it (``""``: any host;
    ``None``: the fault is cluster-wide). ``long`` kinds last an hour or more; the others are
    mostly a few minutes, as most real problems heal before anyone is told. ``names_program``
    kinds hit one program of the host, which the fault names (a crash). A ``weight`` of 0 keeps
    a kind out of the schedule: it happens only where a test or a user plants it.
    """

    name: str
    kinds: tuple[str, ...]
    program: str | None
    weight: float
    description: str
    long: bool = False
    min_duration: float = 60.0
    names_program: bool = False


_ALL = ("hadoop", "druid", "kudu", "kafka")
_ZK = ("hadoop", "druid", "kafka")
_H = ("hadoop",)


def _kinds(*kinds: FaultKind) -> dict[str, FaultKind]:
    return {kind.name: kind for kind in kinds}


FAULT_KINDS: dict[str, FaultKind] = _kinds(
    # Hosts and their programs
    FaultKind("disk_full", _ALL, "", 3, "the fullest data disk fills up (free space falls below 15%, then 5%)"),
    FaultKind("inodes_exhausted", _ALL, "", 1, "a data disk runs out of inodes (free inodes below 10%)"),
    FaultKind("cpu_spike", _ALL, "", 4, "CPU user + system above 90%"),
    FaultKind("load_high", _ALL, "", 2, "load average above 2.5 per core: processes stuck waiting on I/O"),
    FaultKind("memory_pressure", _ALL, "", 2, "memory used above 90%"),
    FaultKind("clock_drift", _ALL, "", 1, "the clock drifts 150 ms to 2 s away from NTP"),
    FaultKind(
        "filesystem_read_only",
        _ALL,
        "",
        1,
        "the kernel remounts a data disk read-only after a journal error (one kernel line)",
        min_duration=600.0,
    ),
    FaultKind("disk_io_errors", _ALL, "", 1, "a failing disk: the kernel logs blk_update_request I/O errors"),
    FaultKind(
        "process_crash",
        _ALL,
        "",
        4,
        "a program keeps exiting: BACKOFF, then FATAL 'Exited too quickly'; its metrics stop",
        names_program=True,
    ),
    FaultKind(
        "process_exited",
        _ALL,
        "",
        1,
        "a program exits with status 1 and Supervisor does not restart it (EXITED)",
        names_program=True,
    ),
    FaultKind(
        "program_removed",
        _ALL,
        "",
        0,
        "a program is missing from the host's Supervisor configuration (planted only)",
        names_program=True,
    ),
    FaultKind(
        "host_silent",
        _ALL,
        "",
        1,
        "the host stops reporting anything (metrics, logs, process states)",
        min_duration=900.0,
    ),
    FaultKind(
        "supervisor_down",
        _ALL,
        "",
        1,
        "Supervisor on the host stops answering while its programs run on (metrics and logs keep coming)",
    ),
    # JVMs
    FaultKind("jvm_heap_pressure", ("kafka",), "kafka-broker", 2, "a broker's JVM heap stays above 90%"),
    FaultKind("jvm_gc_pressure", ("druid",), "druid-historical", 2, "a historical spends 11-36 s a minute in GC"),
    # HDFS
    FaultKind("hdfs_missing_blocks", _H, None, 2, "NameNodes report missing blocks"),
    FaultKind("hdfs_corrupt_blocks", _H, None, 2, "NameNodes report corrupt blocks"),
    FaultKind("hdfs_under_replicated", _H, None, 2, "NameNodes report 1,500+ under-replicated blocks"),
    FaultKind("hdfs_capacity_high", _H, None, 1, "HDFS used above 82% of capacity", long=True),
    FaultKind(
        "datanode_dead",
        _H,
        "hdfs-datanode",
        2,
        "a DataNode hangs: it stops reporting and the NameNodes count it dead",
    ),
    FaultKind("datanode_stale", _H, None, 2, "NameNodes count DataNodes stale: their heartbeats are late"),
    FaultKind("datanode_volume_failure", _H, None, 1, "NameNodes report failed DataNode volumes"),
    FaultKind("namenode_heap_pressure", _H, "hdfs-namenode", 1, "NameNode heap above 88%"),
    FaultKind("namenode_safemode", _H, None, 1, "the NameNodes are in safe mode"),
    FaultKind(
        "namenode_ha_lost",
        _H,
        None,
        1,
        "no NameNode is active (both standby); at intensity 0.5 and above both claim to be active",
    ),
    FaultKind("namenode_rpc_congestion", _H, "hdfs-namenode", 2, "RPC queue time on a NameNode above 150 ms"),
    FaultKind("checkpoint_stalled", _H, None, 1, "checkpoints stop: the last one is 6.5 hours old or older", long=True),
    FaultKind("journalnode_lagging", _H, "hdfs-journalnode", 1, "a JournalNode lags 12,000+ transactions"),
    FaultKind("journalnode_slow_disk", _H, "hdfs-journalnode", 1, "a JournalNode's p99 sync time above 1.2 s"),
    FaultKind("datanode_xceivers_exhausted", _H, "hdfs-datanode", 1, "a DataNode runs 3,100+ transfer threads"),
    FaultKind("datanode_slow_heartbeats", _H, "hdfs-datanode", 1, "a DataNode's heartbeats take 1.5 s and more"),
    # YARN
    FaultKind("yarn_unhealthy_nodemanagers", _H, None, 2, "ResourceManagers report unhealthy NodeManagers"),
    FaultKind("yarn_lost_nodemanagers", _H, None, 1, "ResourceManagers report lost NodeManagers"),
    FaultKind("yarn_pending_apps", _H, None, 2, "more than 150 applications wait for resources"),
    FaultKind("yarn_pending_containers", _H, None, 2, "more than 2,500 containers wait for resources"),
    FaultKind("yarn_queue_full", _H, None, 1, "the root queue is 96-100% allocated", long=True),
    FaultKind(
        "resourcemanager_ha_lost",
        _H,
        None,
        1,
        "no ResourceManager is active; at intensity 0.5 and above both claim to be active",
    ),
    FaultKind("nodemanager_bad_dirs", _H, "yarn-nodemanager", 2, "a NodeManager marks local directories bad"),
    # HBase
    FaultKind("hbase_regions_in_transition", _H, None, 2, "12-200 regions in transition (none stuck yet)"),
    FaultKind("hbase_regions_stuck", _H, None, 1, "regions stuck in transition past HBase's threshold"),
    FaultKind("hbase_dead_regionservers", _H, None, 1, "the active master lists dead RegionServers"),
    FaultKind("hbase_no_active_master", _H, None, 1, "no HBase master is active"),
    FaultKind(
        "hbase_slow_responses",
        _H,
        "hbase-regionserver",
        3,
        "a RegionServer logs 10-40 responseTooSlow/responseTooLarge lines a minute",
    ),
    FaultKind("hbase_compaction_backlog", _H, "hbase-regionserver", 2, "compaction queue above 120"),
    FaultKind("hbase_flush_backlog", _H, "hbase-regionserver", 1, "flush queue above 25"),
    FaultKind("hbase_call_queue_backlog", _H, "hbase-regionserver", 1, "110+ calls wait in the general RPC queue"),
    FaultKind("hbase_region_imbalance", _H, "hbase-regionserver", 1, "a RegionServer carries 850+ regions", long=True),
    FaultKind(
        "regionserver_gc_pressure",
        _H,
        "hbase-regionserver",
        2,
        "RegionServer GC time above 7 s a minute",
    ),
    # ZooKeeper
    FaultKind(
        "zookeeper_down",
        _ZK,
        "zookeeper-server",
        1,
        "a ZooKeeper server is stopped (STOPPED; FATAL at intensity 0.5 and above): one failure from losing the quorum",
    ),
    FaultKind("zookeeper_overloaded", _ZK, "zookeeper-server", 1, "a ZooKeeper server queues 150+ requests"),
    FaultKind("zookeeper_slow", _ZK, "zookeeper-server", 1, "a ZooKeeper server's average latency above 120 ms"),
    FaultKind(
        "zookeeper_slow_disk",
        _ZK,
        "zookeeper-server",
        1,
        "a ZooKeeper server logs 'fsync-ing the write ahead log ... took ...ms' 1-6 times a minute",
    ),
    FaultKind("zookeeper_fd_leak", _ZK, "zookeeper-server", 1, "a ZooKeeper server uses 82%+ of its file descriptors"),
    FaultKind("zookeeper_no_leader", _ZK, None, 1, "the servers run but elect no leader"),
    # Druid
    FaultKind("druid_slots_full", ("druid",), None, 3, "overlords report 92-100% of task slots used"),
    FaultKind("druid_unavailable_segments", ("druid",), None, 2, "the coordinator reports unavailable segments"),
    FaultKind("druid_historical_full", ("druid",), "druid-historical", 2, "a historical's segment cache above 88%"),
    FaultKind("druid_tasks_pending", ("druid",), None, 2, "25+ tasks wait for a slot on the leading overlord"),
    FaultKind("druid_tasks_failing", ("druid",), None, 1, "3+ tasks fail a minute"),
    FaultKind("druid_no_coordinator_leader", ("druid",), None, 1, "no coordinator is leader"),
    FaultKind("druid_no_overlord_leader", ("druid",), None, 1, "no overlord is leader"),
    FaultKind("druid_queries_failing", ("druid",), None, 1, "each broker fails 6+ queries a minute"),
    FaultKind("druid_ingestion_lag", ("druid",), None, 1, "Kafka ingestion lags 1.5 million messages or more"),
    # Kudu
    FaultKind("kudu_failed_tablets", ("kudu",), "kudu-tserver", 3, "a tablet server reports failed tablets"),
    FaultKind(
        "kudu_too_many_tablets",
        ("kudu",),
        "kudu-tserver",
        1,
        "a tablet server carries more than 2,100 tablets after a rebalance",
        long=True,
    ),
    FaultKind("kudu_slow_bootstrap", ("kudu",), "kudu-tserver", 1, "a tablet server keeps tablets bootstrapping"),
    FaultKind("kudu_data_dir_failed", ("kudu",), "kudu-tserver", 1, "a tablet server's data directory fails"),
    FaultKind("kudu_data_dir_full", ("kudu",), "kudu-tserver", 1, "a tablet server's data directories are full"),
    FaultKind("kudu_clock_unsynced", ("kudu",), "kudu-tserver", 1, "a tablet server's hybrid clock error above 0.6 s"),
    # Kafka
    FaultKind("kafka_under_replicated", ("kafka",), None, 3, "brokers report under-replicated partitions"),
    FaultKind("kafka_offline_partitions", ("kafka",), None, 1, "the controller reports offline partitions"),
    FaultKind("kafka_no_controller", ("kafka",), None, 1, "no broker reports itself the active controller"),
    FaultKind("kafka_isr_shrinking", ("kafka",), None, 2, "every broker shrinks ISRs 0.5-2.5 times a second"),
    FaultKind(
        "kafka_request_handlers_busy", ("kafka",), "kafka-broker", 1, "a broker's request handlers under 25% idle"
    ),
    FaultKind(
        "kafka_network_threads_busy", ("kafka",), "kafka-broker", 1, "a broker's network processors under 25% idle"
    ),
    FaultKind("kafka_unclean_election", ("kafka",), None, 1, "the controller elects out-of-sync leaders"),
    FaultKind("kafka_log_dir_failed", ("kafka",), "kafka-broker", 1, "a broker's log directory goes offline"),
    # Hive
    FaultKind("hive_metastore_connections", _H, "hive-metastore", 1, "a Hive Metastore holds 820+ connections"),
    FaultKind("hive_metastore_slow", _H, "hive-metastore", 1, "a Hive Metastore's get_table p99 above 1.2 s"),
    FaultKind("hiveserver2_sessions_exhausted", _H, "hive-hiveserver2", 1, "a HiveServer2 holds 410+ sessions"),
    FaultKind("hiveserver2_queue_full", _H, "hive-hiveserver2", 1, "a HiveServer2's async queue above 55"),
    # Trino
    FaultKind("trino_workers_inactive", _H, None, 1, "the Trino coordinator counts inactive workers"),
    FaultKind("trino_queries_queued", _H, None, 1, "60+ Trino queries queued"),
    FaultKind("trino_internal_failures", _H, None, 1, "6+ Trino queries a minute fail inside Trino"),
    FaultKind("trino_memory_blocked", _H, None, 1, "Trino workers block on a full general memory pool"),
)


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
