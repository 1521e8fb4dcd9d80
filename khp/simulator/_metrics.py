"""Metric rows: every path of docs/metrics.md with a noisy, healthy baseline, bent by faults.

A healthy value is a host's stable level (its traits) plus a daily load curve plus noise
drawn from a generator keyed on ``(seed, cluster, host, whole second)``. Healthy values stay
well inside the bundled thresholds (CPU below 55%, disk free above 28%, heap below 75%, load
below 0.65 per core...), so a cluster without faults raises nothing. The metric tables below
are data: a new metric is a row of ``_ROLE_METRICS``; ``_metric_values`` makes the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ._topology import PROGRAMS, Cluster, Host

Baseline = Callable[[Host, Cluster, float, float, float], float]  # host, cluster, t, load, noise -> value
_DAY = 86400.0
_WEEK = 7 * _DAY


@dataclass(frozen=True)
class MetricSpec:
    """A metric a program reports, addressed as ``service/role/name``."""

    service: str
    role: str
    name: str
    baseline: Baseline
    leader: bool = False  # only the role's active instance (its leader) reports the value, the others 0

    @property
    def path(self) -> str:
        return f"{self.service}/{self.role}/{self.name}"


def _zero(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return 0.0


def _one(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return 1.0


def _constant(value: float) -> Baseline:
    def constant(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        return value

    return constant


def _level(base: float, per_load: float, trait: int = 0, per_trait: float = 0.0, noise: float = 0.0) -> Baseline:
    """``base + per_load * load + per_trait * traits[trait] + noise * n``, rounded to two decimals."""

    def level(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        return round(base + per_load * load + per_trait * host.traits[trait] + noise * n, 2)

    return level


def _count(scale: float) -> Baseline:
    """A small busy-time count: 0 to ``2 * scale``, higher with load."""

    def count(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        return float(round(scale * load * (n + 1.0)))

    return count


def _cpu_user(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(10.0 + 18.0 * host.traits[0] + 12.0 * load + 3.0 * n, 2)


def _cpu_system(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(2.5 + 4.0 * host.traits[1] + 2.0 * load + n, 2)


def _disk_free(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    drift = 3.0 * math.sin(2 * math.pi * (t / _WEEK + host.traits[3]))
    return round(32.0 + 40.0 * host.traits[2] + drift + 0.3 * n, 2)


def _memory_used(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(38.0 + 30.0 * host.traits[3] + 4.0 * load + 1.5 * n, 2)


def _cpu_cores(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return host.cores


def _load_1m(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(host.cores * (0.15 + 0.45 * load + 0.05 * n), 2)


def _heap(offset: float) -> Baseline:
    def heap(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        level = (host.traits[4] + offset) % 1.0
        sawtooth = (t / 900.0 + level) % 1.0  # the heap fills, then a collection empties it
        return round(28.0 + 25.0 * level + 15.0 * sawtooth + 3.0 * n, 2)

    return heap


def _gc_time(offset: float) -> Baseline:
    def gc_time(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        level = (host.traits[5] + offset) % 1.0
        return float(max(0, round(60.0 + 280.0 * level + 150.0 * load + 40.0 * n)))

    return gc_time


def _tablets_running(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(150.0 + 450.0 * host.traits[0] + 10.0 * load))


def _slots_used(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(cluster.task_slots * (0.15 + 0.35 * load + 0.05 * n)))


def _slots_total(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(cluster.task_slots)


def _segment_used(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(30.0 + 35.0 * host.traits[2] + 2.0 * n, 2)


def _capacity_used(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    share = 0.40 + 0.22 * cluster.phase + 0.01 * load + 0.0005 * n
    return float(round(cluster.hdfs_capacity * share))


def _capacity_total(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return cluster.hdfs_capacity


def _last_checkpoint(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    """Epoch milliseconds of the last checkpoint: one an hour, at the cluster's own minute."""
    offset = cluster.phase * 3600.0
    return (math.floor((t - offset) / 3600.0) * 3600.0 + offset) * 1000.0


def _yarn_allocated(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(cluster.yarn_memory_mb * (0.30 + 0.40 * load)))


def _yarn_available(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return cluster.yarn_memory_mb - _yarn_allocated(host, cluster, t, load, n)


def _apps_pending(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(8.0 * load + 2.0 * (n + 1.0)))


def _compactions(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(2.0 * load + 1.5 * (n + 1.0)))


def _outstanding(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(1.5 * (n + 1.0) * load))


def _rare(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    """Mostly 0, now and then 1 (a failed user query, say)."""
    return 1.0 if n > 0.9 else 0.0


def _idle(base: float, trait: int) -> Baseline:
    """An idle fraction (0-1) that falls as the cluster gets busy: at least ``base - 0.37``."""

    def idle(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
        return round(base - 0.25 * load - 0.1 * host.traits[trait] + 0.02 * n, 3)

    return idle


def _specs(service: str, role: str, *metrics: tuple[str, Baseline]) -> tuple[MetricSpec, ...]:
    return tuple(MetricSpec(service, role, name, baseline) for name, baseline in metrics)


def _leader_specs(service: str, role: str, *metrics: tuple[str, Baseline]) -> tuple[MetricSpec, ...]:
    return tuple(MetricSpec(service, role, name, baseline, leader=True) for name, baseline in metrics)


# What each program reports besides the JVM's heap and GC. HA states that are words in the
# services' own exports (tag.HAState "active", tag.isActiveMaster "true", zk_server_state
# "leader", Druid's isLeader) are 0/1 gauges here, as an agent maps them.
_ROLE_METRICS: dict[str, tuple[MetricSpec, ...]] = {
    "node-exporter": _specs(
        "host",
        "os",
        ("cpu.user", _cpu_user),
        ("cpu.system", _cpu_system),
        ("cpu.cores", _cpu_cores),
        ("load.1m", _load_1m),
        ("disk.free_percent", _disk_free),
        ("disk.inodes_free_percent", _level(55.0, 0.0, 1, 40.0, 0.2)),
        ("memory.used_percent", _memory_used),
        ("clock.offset_ms", _level(-2.0, 0.0, 4, 4.0, 0.8)),
    ),
    "hdfs-namenode": (
        *_specs(
            "hdfs",
            "namenode",
            ("CapacityUsed", _capacity_used),
            ("CapacityTotal", _capacity_total),
            ("MissingBlocks", _zero),
            ("CorruptBlocks", _zero),
            ("UnderReplicatedBlocks", _count(6.0)),
            ("NumDeadDataNodes", _zero),
            ("NumStaleDataNodes", _zero),
            ("VolumeFailuresTotal", _zero),
            ("Safemode", _zero),
            ("RpcQueueTimeAvgTime", _level(0.7, 2.5, 0, 0.0, 0.3)),
            ("LastCheckpointTime", _last_checkpoint),
        ),
        *_leader_specs("hdfs", "namenode", ("HAState.active", _one)),
    ),
    "hdfs-journalnode": _specs(
        "hdfs",
        "journalnode",
        ("CurrentLagTxns", _count(2.0)),
        ("Syncs60s99thPercentileLatencyMicros", _level(1500.0, 3000.0, 2, 6000.0, 500.0)),
    ),
    "hdfs-datanode": _specs(
        "hdfs",
        "datanode",
        ("XceiverCount", _level(15.0, 120.0, 0, 40.0, 5.0)),
        ("HeartbeatsAvgTime", _level(1.5, 2.0, 1, 3.0, 0.5)),
    ),
    "yarn-resourcemanager": (
        *_specs(
            "yarn",
            "resourcemanager",
            ("NumUnhealthyNMs", _zero),
            ("NumLostNMs", _zero),
            ("AppsPending", _apps_pending),
            ("PendingContainers", _count(40.0)),
            ("AllocatedMB", _yarn_allocated),
            ("AvailableMB", _yarn_available),
        ),
        *_leader_specs("yarn", "resourcemanager", ("HAState.active", _one)),
    ),
    "yarn-nodemanager": _specs("yarn", "nodemanager", ("BadLocalDirs", _zero)),
    "hbase-master": (
        *_specs(
            "hbase", "master", ("ritCount", _zero), ("ritCountOverThreshold", _zero), ("numDeadRegionServers", _zero)
        ),
        *_leader_specs("hbase", "master", ("isActiveMaster", _one)),
    ),
    "hbase-regionserver": _specs(
        "hbase",
        "regionserver",
        ("compactionQueueLength", _compactions),
        ("flushQueueLength", _count(1.5)),
        ("numCallsInGeneralQueue", _count(4.0)),
        ("regionCount", _level(80.0, 0.0, 3, 320.0)),
    ),
    "zookeeper-server": (
        *_specs(
            "zookeeper",
            "server",
            ("outstanding_requests", _outstanding),
            ("avg_latency", _level(0.7, 2.5, 0, 0.0, 0.4)),
            ("open_file_descriptor_count", _level(120.0, 60.0, 4, 300.0)),
            ("max_file_descriptor_count", _constant(65536.0)),
        ),
        *_leader_specs("zookeeper", "server", ("server_state.leader", _one)),
    ),
    "kudu-tserver": _specs(
        "kudu",
        "tserver",
        ("server.tablets_num_running", _tablets_running),
        ("server.tablets_num_failed", _zero),
        ("server.tablets_num_bootstrapping", _zero),
        ("server.data_dirs_failed", _zero),
        ("server.data_dirs_full", _zero),
        ("server.hybrid_clock_error", _level(130.0, 0.0, 5, 300.0, 50.0)),
    ),
    "druid-overlord": (
        *_specs(
            "druid",
            "overlord",
            ("taskSlot.used.count", _slots_used),
            ("taskSlot.total.count", _slots_total),
        ),
        *_leader_specs(
            "druid",
            "overlord",
            ("isLeader", _one),
            ("task.pending.count", _count(3.0)),
            ("task.failed.count", _zero),
            ("ingest.kafka.lag", _level(1700.0, 1500.0, 0, 0.0, 1500.0)),
        ),
    ),
    "druid-coordinator": (
        *_specs("druid", "coordinator", ("segment.unavailable.count", _zero)),
        *_leader_specs("druid", "coordinator", ("isLeader", _one)),
    ),
    "druid-historical": _specs("druid", "historical", ("segment.usedPercent", _segment_used)),
    "druid-broker": _specs("druid", "broker", ("query.failed.count", _rare)),
    "kafka-broker": (
        *_specs(
            "kafka",
            "broker",
            ("UnderReplicatedPartitions", _zero),
            ("IsrShrinksPerSec", _zero),
            ("RequestHandlerAvgIdlePercent", _idle(0.92, 0)),
            ("NetworkProcessorAvgIdlePercent", _idle(0.95, 1)),
            ("OfflineLogDirectoryCount", _zero),
        ),
        # Only the active controller reports these; the other brokers report 0.
        *_leader_specs(
            "kafka",
            "controller",
            ("OfflinePartitionsCount", _zero),
            ("ActiveControllerCount", _one),
            ("UncleanLeaderElectionsPerSec", _zero),
        ),
    ),
    "hive-metastore": _specs(
        "hive",
        "metastore",
        ("open_connections", _level(20.0, 120.0, 0, 20.0, 5.0)),
        ("api_get_table.99thPercentile", _level(11.0, 40.0, 1, 10.0, 3.0)),
    ),
    "hive-hiveserver2": _specs(
        "hive",
        "hiveserver2",
        ("hs2_open_sessions", _level(13.0, 90.0, 2, 15.0, 3.0)),
        ("exec_async_queue_size", _count(1.0)),
    ),
    "trino-coordinator": _specs(
        "trino",
        "coordinator",
        ("InactiveNodeCount", _zero),
        ("QueuedQueries", _count(2.0)),
        ("InternalFailures.OneMinute.Count", _zero),
        ("BlockedNodes", _zero),
    ),
}


def _program_metrics() -> dict[str, tuple[MetricSpec, ...]]:
    table = {}
    for index, program in enumerate(PROGRAMS.values()):
        specs = _ROLE_METRICS.get(program.name, ())
        if program.jvm:
            offset = (index * 0.381966) % 1.0  # a different heap/GC level per program on one host
            specs += _specs(
                program.service,
                program.role,
                ("jvm.heap_used_percent", _heap(offset)),
                ("jvm.gc_time_ms", _gc_time(offset)),
            )
        if specs:
            table[program.name] = specs
    return table


PROGRAM_METRICS = _program_metrics()
METRIC_PATHS = frozenset(spec.path for specs in PROGRAM_METRICS.values() for spec in specs)


def daily_load(t: float, cluster: Cluster) -> float:
    """How busy a cluster is at ``t``, between 0 and 1, peaking once a day."""
    return 0.5 + 0.5 * math.sin(2 * math.pi * (t / _DAY + cluster.phase))


LEADER_PROGRAMS = frozenset(program for program, specs in PROGRAM_METRICS.items() if any(s.leader for s in specs))
