"""Metric rows: every path of docs/metrics.md with a noisy, healthy baseline, bent by faults.

A healthy value is a host's stable level (its traits) plus a daily load curve plus noise
drawn from a generator keyed on ``(seed, cluster, host, whole second)``. Healthy values stay
well inside the shipped thresholds (CPU below 55%, disk free above 28%, heap below 75%...),
so a cluster without faults raises nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from khp.records import MetricRow

from . import _random
from ._condition import Condition
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
    controller: bool = False  # Kafka: only the active controller reports the real value, others 0

    @property
    def path(self) -> str:
        return f"{self.service}/{self.role}/{self.name}"


def _zero(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return 0.0


def _one(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return 1.0


def _cpu_user(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(10.0 + 18.0 * host.traits[0] + 12.0 * load + 3.0 * n, 2)


def _cpu_system(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(2.5 + 4.0 * host.traits[1] + 2.0 * load + n, 2)


def _disk_free(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    drift = 3.0 * math.sin(2 * math.pi * (t / _WEEK + host.traits[3]))
    return round(32.0 + 40.0 * host.traits[2] + drift + 0.3 * n, 2)


def _memory_used(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return round(38.0 + 30.0 * host.traits[3] + 4.0 * load + 1.5 * n, 2)


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


def _apps_pending(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(8.0 * load + 2.0 * (n + 1.0)))


def _compactions(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(2.0 * load + 1.5 * (n + 1.0)))


def _outstanding(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    return float(round(1.5 * (n + 1.0) * load))


def _specs(service: str, role: str, *metrics: tuple[str, Baseline]) -> tuple[MetricSpec, ...]:
    return tuple(MetricSpec(service, role, name, baseline) for name, baseline in metrics)


_ROLE_METRICS: dict[str, tuple[MetricSpec, ...]] = {
    "node-exporter": _specs(
        "host",
        "os",
        ("cpu.user", _cpu_user),
        ("cpu.system", _cpu_system),
        ("disk.free_percent", _disk_free),
        ("memory.used_percent", _memory_used),
    ),
    "hdfs-namenode": _specs(
        "hdfs",
        "namenode",
        ("CapacityUsed", _capacity_used),
        ("CapacityTotal", _capacity_total),
        ("MissingBlocks", _zero),
        ("CorruptBlocks", _zero),
        ("NumDeadDataNodes", _zero),
    ),
    "yarn-resourcemanager": _specs(
        "yarn",
        "resourcemanager",
        ("NumUnhealthyNMs", _zero),
        ("NumLostNMs", _zero),
        ("AppsPending", _apps_pending),
    ),
    "hbase-master": _specs("hbase", "master", ("ritCount", _zero), ("ritCountOverThreshold", _zero)),
    "hbase-regionserver": _specs("hbase", "regionserver", ("compactionQueueLength", _compactions)),
    "zookeeper-server": _specs("zookeeper", "server", ("outstanding_requests", _outstanding)),
    "kudu-tserver": _specs(
        "kudu",
        "tserver",
        ("server.tablets_num_running", _tablets_running),
        ("server.tablets_num_failed", _zero),
    ),
    "druid-overlord": _specs(
        "druid",
        "overlord",
        ("taskSlot.used.count", _slots_used),
        ("taskSlot.total.count", _slots_total),
    ),
    "druid-coordinator": _specs("druid", "coordinator", ("segment.unavailable.count", _zero)),
    "druid-historical": _specs("druid", "historical", ("segment.usedPercent", _segment_used)),
    "kafka-broker": (
        MetricSpec("kafka", "broker", "UnderReplicatedPartitions", _zero),
        MetricSpec("kafka", "controller", "OfflinePartitionsCount", _zero, controller=True),
        MetricSpec("kafka", "controller", "ActiveControllerCount", _one, controller=True),
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


def metric_rows(cluster: Cluster, t: float, seed: int, condition: Condition, out: list[MetricRow]) -> None:
    """Append the metric rows ``cluster`` reports at ``t`` to ``out``."""
    second = math.floor(t)
    load = daily_load(t, cluster)
    values = condition.values
    controller = _controller(cluster, condition) if cluster.kind == "kafka" else None
    name = cluster.name
    for host in cluster.hosts:
        if condition.silent_program(host.name, "khp-agent"):
            continue  # the agent ships every metric of its host
        noise = _random.rng(_random.METRICS, seed, cluster.number, host.index, second).random
        for program in host.programs:
            specs = PROGRAM_METRICS.get(program)
            if specs is None or condition.silent_program(host.name, program):
                continue
            for spec in specs:
                value = spec.baseline(host, cluster, t, load, 2.0 * noise() - 1.0)
                if spec.controller and host.name != controller:
                    value = 0.0
                elif values:
                    value = values.get((host.name, spec.path), values.get((None, spec.path), value))
                out.append(MetricRow(t, name, host.name, spec.service, spec.role, spec.name, value))


def _controller(cluster: Cluster, condition: Condition) -> str | None:
    """The active Kafka controller: the first broker whose process is up (a failover moves it)."""
    for host in cluster.hosts:
        if (
            "kafka-broker" in host.programs
            and (host.name, "kafka-broker") not in condition.down
            and host.name not in condition.silent
        ):
            return host.name
    return None
