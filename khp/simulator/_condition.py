"""What a cluster's faults do at one moment: values that change, programs down, hosts gone quiet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._fault import Fault
from ._topology import Cluster

SPAWNERR = "Exited too quickly (process log may have details)"
_RESTARTING = ("process_crash", "zookeeper_down")
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
    host that reports ``path``. ``hung`` programs stay RUNNING but report no metrics.
    """

    silent: set[str] = field(default_factory=set)
    down: dict[tuple[str, str], Down] = field(default_factory=dict)
    hung: set[tuple[str, str]] = field(default_factory=set)
    values: dict[tuple[str | None, str], float] = field(default_factory=dict)
    slow_logs: dict[str, float] = field(default_factory=dict)
    restarted: dict[tuple[str, str], float] = field(default_factory=dict)

    def set(self, path: str, value: float, host: str | None = None) -> None:
        self.values[(host, path)] = value

    def add(self, path: str, value: float, host: str | None = None) -> None:
        self.values[(host, path)] = self.values.get((host, path), 0.0) + value

    def silent_program(self, host: str, program: str) -> bool:
        """Whether ``program`` on ``host`` reports no metrics (or logs) now."""
        return host in self.silent or (host, program) in self.down or (host, program) in self.hung

    @property
    def healthy(self) -> bool:
        return not (self.silent or self.down or self.hung or self.values or self.slow_logs)


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


def _disk_full(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    ramp = max(60.0, min(240.0, fault.duration / 3))
    progress = min(1.0, (t - fault.start) / ramp)
    floor = 1.0 + 3.0 * fault.intensity
    c.set("host/os/disk.free_percent", 14.0 - (14.0 - floor) * progress, _host(fault))


def _cpu_spike(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("host/os/cpu.user", 86.0 + 6.0 * fault.intensity, _host(fault))
    c.set("host/os/cpu.system", 5.0 + 2.0 * fault.intensity, _host(fault))


def _memory_pressure(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("host/os/memory.used_percent", 92.0 + 6.5 * fault.intensity, _host(fault))


def _process_crash(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    assert fault.program is not None
    # Supervisor retries with BACKOFF and gives up with FATAL; a flapping program
    # (low intensity) keeps coming back up just long enough to stay in BACKOFF.
    flapping = fault.intensity < 0.3
    state = "BACKOFF" if flapping or t - fault.start < 60 else "FATAL"
    c.down[(_host(fault), fault.program)] = Down(state, fault.start, SPAWNERR)


def _host_silent(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.silent.add(_host(fault))


def _set(path: str, low: float, span: float, integer: bool = True) -> Effect:
    def effect(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
        value = low + span * fault.intensity
        c.set(path, float(int(value)) if integer else value, fault.host)

    return effect


def _capacity_high(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("hdfs/namenode/CapacityUsed", cluster.hdfs_capacity * (0.82 + 0.14 * fault.intensity))


def _datanode_dead(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.hung.add((_host(fault), "hdfs-datanode"))
    c.add("hdfs/namenode/NumDeadDataNodes", 1.0)


def _namenode_heap(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("hdfs/namenode/jvm.heap_used_percent", 88.0 + 10.0 * fault.intensity, _host(fault))
    c.set("hdfs/namenode/jvm.gc_time_ms", float(int(8000 + 30000 * fault.intensity)), _host(fault))


def _rit(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("hbase/master/ritCount", float(int(12 + 190 * fault.intensity)))
    c.set("hbase/master/ritCountOverThreshold", float(int(1 + 25 * fault.intensity)))


def _slow_responses(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.slow_logs[_host(fault)] = 10.0 + 30.0 * fault.intensity


def _regionserver_gc(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("hbase/regionserver/jvm.gc_time_ms", float(int(7000 + 35000 * fault.intensity)), _host(fault))
    c.set("hbase/regionserver/jvm.heap_used_percent", 85.0 + 12.0 * fault.intensity, _host(fault))


def _zookeeper_down(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    if fault.intensity < 0.5:
        c.down[(_host(fault), "zookeeper-server")] = Down("EXITED", fault.start, "", 1)
    else:
        c.down[(_host(fault), "zookeeper-server")] = Down("FATAL", fault.start, SPAWNERR)


def _slots_full(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("druid/overlord/taskSlot.used.count", float(round(cluster.task_slots * (0.92 + 0.08 * fault.intensity))))


def _kudu_too_many(fault: Fault, t: float, cluster: Cluster, c: Condition) -> None:
    c.set("kudu/tserver/server.tablets_num_running", float(int(2100 + 1500 * fault.intensity)), _host(fault))


_EFFECTS: dict[str, Effect] = {
    "disk_full": _disk_full,
    "cpu_spike": _cpu_spike,
    "memory_pressure": _memory_pressure,
    "process_crash": _process_crash,
    "host_silent": _host_silent,
    "hdfs_missing_blocks": _set("hdfs/namenode/MissingBlocks", 1, 500),
    "hdfs_corrupt_blocks": _set("hdfs/namenode/CorruptBlocks", 1, 200),
    "hdfs_capacity_high": _capacity_high,
    "datanode_dead": _datanode_dead,
    "namenode_heap_pressure": _namenode_heap,
    "yarn_unhealthy_nodemanagers": _set("yarn/resourcemanager/NumUnhealthyNMs", 1, 4),
    "yarn_lost_nodemanagers": _set("yarn/resourcemanager/NumLostNMs", 1, 3),
    "yarn_pending_apps": _set("yarn/resourcemanager/AppsPending", 150, 1800),
    "hbase_regions_in_transition": _rit,
    "hbase_slow_responses": _slow_responses,
    "hbase_compaction_backlog": _set("hbase/regionserver/compactionQueueLength", 120, 500),
    "regionserver_gc_pressure": _regionserver_gc,
    "zookeeper_down": _zookeeper_down,
    "zookeeper_overloaded": _set("zookeeper/server/outstanding_requests", 150, 3000),
    "druid_slots_full": _slots_full,
    "druid_unavailable_segments": _set("druid/coordinator/segment.unavailable.count", 1, 3000),
    "druid_historical_full": _set("druid/historical/segment.usedPercent", 88, 11, integer=False),
    "kudu_failed_tablets": _set("kudu/tserver/server.tablets_num_failed", 1, 30),
    "kudu_too_many_tablets": _kudu_too_many,
    "kafka_under_replicated": _set("kafka/broker/UnderReplicatedPartitions", 2, 60),
    "kafka_offline_partitions": _set("kafka/controller/OfflinePartitionsCount", 1, 50),
    "kafka_no_controller": _set("kafka/controller/ActiveControllerCount", 0, 0),
}
