"""What a cluster's faults do at one moment: values that change, programs down, hosts gone quiet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._fault import Fault
from ._topology import PROGRAMS, Cluster

SPAWNERR = "Exited too quickly (process log may have details)"
_RESTARTING = ("process_crash", "process_exited", "zookeeper_down")
RESTART_MEMORY = 3 * 3600.0  # a program restarted by a healed fault shows that start time this long


@dataclass(frozen=True)
class Down:
    """A program that is not running: Supervisor's state, since when, and why."""

    statename: str
    since: float
    spawnerr: str = ""
    exitstatus: int = 1


@dataclass
class Condition:
    """The effects of the faults active on one cluster at one time.

    ``values`` maps ``(host, path)`` to the value a fault imposes; host ``None`` means every
    host that reports ``path``. ``hung`` programs stay RUNNING but report no metrics;
    ``removed`` ones are not in Supervisor's configuration at all. ``unanswered`` hosts' Supervisor
    does not answer (their programs run on). ``log_bursts`` maps ``(host, burst)`` to extra log
    lines a minute (the bursts of ``_logs.BURSTS``).
    """

    silent: set[str] = field(default_factory=set)
    down: dict[tuple[str, str], Down] = field(default_factory=dict)
    hung: set[tuple[str, str]] = field(default_factory=set)
    removed: set[tuple[str, str]] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    values: dict[tuple[str | None, str], float] = field(default_factory=dict)
    log_bursts: dict[tuple[str, str], float] = field(default_factory=dict)
    restarted: dict[tuple[str, str], float] = field(default_factory=dict)

    def set(self, path: str, value: float, host: str | None = None) -> None:
        self.values[(host, path)] = value

    def add(self, path: str, value: float, host: str | None = None) -> None:
        self.values[(host, path)] = self.values.get((host, path), 0.0) + value

    def silent_program(self, host: str, program: str) -> bool:
        """Whether ``program`` on ``host`` reports no metrics (or logs) now."""
        return (
            host in self.silent
            or (host, program) in self.down
            or (host, program) in self.hung
            or (host, program) in self.removed
        )

    @property
    def healthy(self) -> bool:
        return not (
            self.silent or self.down or self.hung or self.removed or self.unanswered or self.values or self.log_bursts
        )


HEALTHY = Condition()


def condition_at(cluster: Cluster, faults: Sequence[Fault], t: float) -> Condition:
    """The condition of ``cluster`` at ``t`` given its faults (active ones and recently healed ones)."""
    if not faults:
        return HEALTHY
    condition = Condition()
    for fault in faults:
        if fault.active(t):
            _EFFECTS[fault.kind](fault, t, cluster, condition)
        elif t - RESTART_MEMORY < fault.end <= t and fault.kind in _RESTARTING and fault.host and fault.program:
            key = (fault.host, fault.program)
            condition.restarted[key] = max(condition.restarted.get(key, 0.0), fault.end)
    return condition


Effect = Callable[[Fault, float, Cluster, Condition], None]


def _host(fault: Fault) -> str:
    assert fault.host is not None, f"{fault.kind} needs a host"
    return fault.host


def _program(fault: Fault) -> str:
    assert fault.program is not None, f"{fault.kind} needs a program"
    return fault.program


def _set(path: str, low: float, span: float, integer: bool = True) -> Effect:
    """``path`` at ``low + span * intensity`` on the fault's host (every host for a cluster-wide fault)."""

    def effect(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
        value = low + span * fault.intensity
        c.set(path, float(int(value)) if integer else value, fault.host)

    return effect


def _jvm(name: str, low: float, span: float) -> Effect:
    """``<service>/<role>/name`` of the fault's program on its host, at ``low + span * intensity``."""

    def effect(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
        program = PROGRAMS[_program(fault)]
        c.set(f"{program.service}/{program.role}/{name}", round(low + span * fault.intensity, 2), _host(fault))

    return effect


def _ha_lost(path: str, program: str) -> Effect:
    """No instance of an HA role active; from intensity 0.5 every instance claims to be (split brain)."""

    def effect(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
        value = 1.0 if fault.intensity >= 0.5 else 0.0
        for host in cluster.hosts_running(program):
            c.set(path, value, host.name)

    return effect


def _burst(name: str, low: float, span: float, first_minute: bool = False) -> Effect:
    """``low + span * intensity`` lines a minute of log burst ``name`` on the fault's host."""

    def effect(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
        if not first_minute or t - fault.start < 60.0:
            c.log_bursts[(_host(fault), name)] = low + span * fault.intensity

    return effect


def _disk_full(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    ramp = max(60.0, min(240.0, fault.duration / 3))
    progress = min(1.0, (t - fault.start) / ramp)
    floor = 1.0 + 3.0 * fault.intensity
    c.set("host/os/disk.free_percent", 14.0 - (14.0 - floor) * progress, _host(fault))


def _cpu_spike(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("host/os/cpu.user", 86.0 + 6.0 * fault.intensity, _host(fault))
    c.set("host/os/cpu.system", 5.0 + 2.0 * fault.intensity, _host(fault))


def _load_high(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    cores = cluster.host(_host(fault)).cores
    c.set("host/os/load.1m", round(cores * (2.5 + 3.0 * fault.intensity), 2), _host(fault))


def _process_crash(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    # Supervisor retries with BACKOFF and gives up with FATAL; a flapping program
    # (low intensity) keeps coming back up just long enough to stay in BACKOFF.
    flapping = fault.intensity < 0.3
    state = "BACKOFF" if flapping or t - fault.start < 60 else "FATAL"
    c.down[(_host(fault), _program(fault))] = Down(state, fault.start, SPAWNERR)


def _process_exited(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.down[(_host(fault), _program(fault))] = Down("EXITED", fault.start, "", 1)


def _program_removed(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.removed.add((_host(fault), _program(fault)))


def _host_silent(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.silent.add(_host(fault))


def _supervisor_down(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.unanswered.add(_host(fault))


def _capacity_high(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("hdfs/namenode/CapacityUsed", cluster.hdfs_capacity * (0.82 + 0.14 * fault.intensity))


def _datanode_dead(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.hung.add((_host(fault), "hdfs-datanode"))
    c.add("hdfs/namenode/NumDeadDataNodes", 1.0)


def _namenode_heap(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    # A full heap collects more often, but not yet for long: GC time stays below the JVM check's.
    c.set("hdfs/namenode/jvm.heap_used_percent", 88.0 + 10.0 * fault.intensity, _host(fault))
    c.set("hdfs/namenode/jvm.gc_time_ms", float(int(3000 + 4000 * fault.intensity)), _host(fault))


def _checkpoint_stalled(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    last = fault.start - 3600.0 * (6.5 + 20.0 * fault.intensity)
    c.set("hdfs/namenode/LastCheckpointTime", last * 1000.0)


def _queue_full(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    allocated = float(round(cluster.yarn_memory_mb * (0.96 + 0.04 * fault.intensity)))
    c.set("yarn/resourcemanager/AllocatedMB", allocated)
    c.set("yarn/resourcemanager/AvailableMB", cluster.yarn_memory_mb - allocated)


def _regions_stuck(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    stuck = float(int(1 + 8 * fault.intensity))
    c.set("hbase/master/ritCount", stuck)
    c.set("hbase/master/ritCountOverThreshold", stuck)


def _regionserver_gc(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    # The heap is busy but not full: the JVM heap check stays quiet, the RegionServer GC check fires.
    c.set("hbase/regionserver/jvm.gc_time_ms", float(int(7000 + 35000 * fault.intensity)), _host(fault))
    c.set("hbase/regionserver/jvm.heap_used_percent", 80.0 + 8.0 * fault.intensity, _host(fault))


def _zookeeper_down(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    if fault.intensity < 0.5:
        c.down[(_host(fault), "zookeeper-server")] = Down("STOPPED", fault.start, "", 0)
    else:
        c.down[(_host(fault), "zookeeper-server")] = Down("FATAL", fault.start, SPAWNERR)


def _zookeeper_fd_leak(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set(
        "zookeeper/server/open_file_descriptor_count", float(int(65536 * (0.82 + 0.15 * fault.intensity))), fault.host
    )


def _slots_full(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("druid/overlord/taskSlot.used.count", float(round(cluster.task_slots * (0.92 + 0.08 * fault.intensity))))


def _kudu_too_many(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("kudu/tserver/server.tablets_num_running", float(int(2100 + 1500 * fault.intensity)), _host(fault))


# What each kind of fault does, by name; most set one metric (``_set``) or write a log burst.
_EFFECTS: dict[str, Effect] = {
    "disk_full": _disk_full,
    "inodes_exhausted": _set("host/os/disk.inodes_free_percent", 9.0, -7.0, integer=False),
    "cpu_spike": _cpu_spike,
    "load_high": _load_high,
    "memory_pressure": _set("host/os/memory.used_percent", 92.0, 6.5, integer=False),
    "clock_drift": _set("host/os/clock.offset_ms", 150.0, 1850.0, integer=False),
    "filesystem_read_only": _burst("read_only", 1.0, 0.0, first_minute=True),
    "disk_io_errors": _burst("io_errors", 1.0, 10.0),
    "process_crash": _process_crash,
    "process_exited": _process_exited,
    "program_removed": _program_removed,
    "host_silent": _host_silent,
    "supervisor_down": _supervisor_down,
    "jvm_heap_pressure": _jvm("jvm.heap_used_percent", 91.0, 8.0),
    "jvm_gc_pressure": _jvm("jvm.gc_time_ms", 11000.0, 25000.0),
    "hdfs_missing_blocks": _set("hdfs/namenode/MissingBlocks", 1, 500),
    "hdfs_corrupt_blocks": _set("hdfs/namenode/CorruptBlocks", 1, 200),
    "hdfs_under_replicated": _set("hdfs/namenode/UnderReplicatedBlocks", 1500, 50000),
    "hdfs_capacity_high": _capacity_high,
    "datanode_dead": _datanode_dead,
    "datanode_stale": _set("hdfs/namenode/NumStaleDataNodes", 1, 3),
    "datanode_volume_failure": _set("hdfs/namenode/VolumeFailuresTotal", 1, 3),
    "namenode_heap_pressure": _namenode_heap,
    "namenode_safemode": _set("hdfs/namenode/Safemode", 1, 0),
    "namenode_ha_lost": _ha_lost("hdfs/namenode/HAState.active", "hdfs-namenode"),
    "namenode_rpc_congestion": _set("hdfs/namenode/RpcQueueTimeAvgTime", 150.0, 2000.0, integer=False),
    "checkpoint_stalled": _checkpoint_stalled,
    "journalnode_lagging": _set("hdfs/journalnode/CurrentLagTxns", 12000, 500000),
    "journalnode_slow_disk": _set("hdfs/journalnode/Syncs60s99thPercentileLatencyMicros", 1.2e6, 1.5e7),
    "datanode_xceivers_exhausted": _set("hdfs/datanode/XceiverCount", 3100, 990),
    "datanode_slow_heartbeats": _set("hdfs/datanode/HeartbeatsAvgTime", 1500.0, 10000.0, integer=False),
    "yarn_unhealthy_nodemanagers": _set("yarn/resourcemanager/NumUnhealthyNMs", 1, 4),
    "yarn_lost_nodemanagers": _set("yarn/resourcemanager/NumLostNMs", 1, 3),
    "yarn_pending_apps": _set("yarn/resourcemanager/AppsPending", 150, 1800),
    "yarn_pending_containers": _set("yarn/resourcemanager/PendingContainers", 2500, 20000),
    "yarn_queue_full": _queue_full,
    "resourcemanager_ha_lost": _ha_lost("yarn/resourcemanager/HAState.active", "yarn-resourcemanager"),
    "nodemanager_bad_dirs": _set("yarn/nodemanager/BadLocalDirs", 1, 3),
    "hbase_regions_in_transition": _set("hbase/master/ritCount", 12, 190),
    "hbase_regions_stuck": _regions_stuck,
    "hbase_dead_regionservers": _set("hbase/master/numDeadRegionServers", 1, 3),
    "hbase_no_active_master": _set("hbase/master/isActiveMaster", 0, 0),
    "hbase_slow_responses": _burst("slow_responses", 10.0, 30.0),
    "hbase_compaction_backlog": _set("hbase/regionserver/compactionQueueLength", 120, 500),
    "hbase_flush_backlog": _set("hbase/regionserver/flushQueueLength", 25, 100),
    "hbase_call_queue_backlog": _set("hbase/regionserver/numCallsInGeneralQueue", 110, 250),
    "hbase_region_imbalance": _set("hbase/regionserver/regionCount", 850, 600),
    "regionserver_gc_pressure": _regionserver_gc,
    "zookeeper_down": _zookeeper_down,
    "zookeeper_overloaded": _set("zookeeper/server/outstanding_requests", 150, 3000),
    "zookeeper_slow": _set("zookeeper/server/avg_latency", 120.0, 800.0, integer=False),
    "zookeeper_slow_disk": _burst("slow_fsync", 1.0, 5.0),
    "zookeeper_fd_leak": _zookeeper_fd_leak,
    "zookeeper_no_leader": _set("zookeeper/server/server_state.leader", 0, 0),
    "druid_slots_full": _slots_full,
    "druid_unavailable_segments": _set("druid/coordinator/segment.unavailable.count", 1, 3000),
    "druid_historical_full": _set("druid/historical/segment.usedPercent", 88, 11, integer=False),
    "druid_tasks_pending": _set("druid/overlord/task.pending.count", 25, 200),
    "druid_tasks_failing": _set("druid/overlord/task.failed.count", 3, 15),
    "druid_no_coordinator_leader": _set("druid/coordinator/isLeader", 0, 0),
    "druid_no_overlord_leader": _set("druid/overlord/isLeader", 0, 0),
    "druid_queries_failing": _set("druid/broker/query.failed.count", 6, 50),
    "druid_ingestion_lag": _set("druid/overlord/ingest.kafka.lag", 1.5e6, 2e7),
    "kudu_failed_tablets": _set("kudu/tserver/server.tablets_num_failed", 1, 30),
    "kudu_too_many_tablets": _kudu_too_many,
    "kudu_slow_bootstrap": _set("kudu/tserver/server.tablets_num_bootstrapping", 5, 100),
    "kudu_data_dir_failed": _set("kudu/tserver/server.data_dirs_failed", 1, 0),
    "kudu_data_dir_full": _set("kudu/tserver/server.data_dirs_full", 1, 2),
    "kudu_clock_unsynced": _set("kudu/tserver/server.hybrid_clock_error", 6e5, 8e6),
    "kafka_under_replicated": _set("kafka/broker/UnderReplicatedPartitions", 2, 60),
    "kafka_offline_partitions": _set("kafka/controller/OfflinePartitionsCount", 1, 50),
    "kafka_no_controller": _set("kafka/controller/ActiveControllerCount", 0, 0),
    "kafka_isr_shrinking": _set("kafka/broker/IsrShrinksPerSec", 0.5, 2.0, integer=False),
    "kafka_request_handlers_busy": _set("kafka/broker/RequestHandlerAvgIdlePercent", 0.25, -0.2, integer=False),
    "kafka_network_threads_busy": _set("kafka/broker/NetworkProcessorAvgIdlePercent", 0.25, -0.2, integer=False),
    "kafka_unclean_election": _set("kafka/controller/UncleanLeaderElectionsPerSec", 0.02, 0.2, integer=False),
    "kafka_log_dir_failed": _set("kafka/broker/OfflineLogDirectoryCount", 1, 0),
    "hive_metastore_connections": _set("hive/metastore/open_connections", 820, 170),
    "hive_metastore_slow": _set("hive/metastore/api_get_table.99thPercentile", 1200.0, 6000.0, integer=False),
    "hiveserver2_sessions_exhausted": _set("hive/hiveserver2/hs2_open_sessions", 410, 85),
    "hiveserver2_queue_full": _set("hive/hiveserver2/exec_async_queue_size", 55, 45),
    "trino_workers_inactive": _set("trino/coordinator/InactiveNodeCount", 1, 4),
    "trino_queries_queued": _set("trino/coordinator/QueuedQueries", 60, 300),
    "trino_internal_failures": _set("trino/coordinator/InternalFailures.OneMinute.Count", 6, 80),
    "trino_memory_blocked": _set("trino/coordinator/BlockedNodes", 1, 3),
}
