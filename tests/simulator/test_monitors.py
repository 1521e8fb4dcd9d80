"""The bundled monitors find the simulated faults, and nothing on clusters without faults.

These run the shipped ``khp.yml`` thresholds and the monitors of ``evaluator/monitors``
through a real ``Evaluator`` cycle over a simulated store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from evaluator import Evaluator, Monitor, Problem
from khp.configuration import Config
from khp.simulator import FAULT_KINDS, Fault, Fleet, simulate
from khp.sources import open_sources
from khp.store import Store

from .conftest import AT

# The check each fault kind must raise; host-level checks must name the fault's host.
EXPECTED: dict[str, str] = {
    "disk_full": "Disk space low",
    "cpu_spike": "CPU usage",
    "memory_pressure": "Memory usage",
    "process_crash": "Process FATAL",
    "host_silent": "Host silent",
    "hdfs_missing_blocks": "Missing blocks",
    "hdfs_corrupt_blocks": "Corrupt blocks",
    "hdfs_capacity_high": "HDFS capacity",
    "datanode_dead": "Dead DataNodes",
    "namenode_heap_pressure": "NameNode heap usage",
    "yarn_unhealthy_nodemanagers": "Unhealthy NodeManagers",
    "yarn_lost_nodemanagers": "Lost NodeManagers",
    "yarn_pending_apps": "Pending applications",
    "hbase_regions_in_transition": "Regions stuck in transition",
    "hbase_slow_responses": "Slow or large responses",
    "hbase_compaction_backlog": "Compaction queue",
    "regionserver_gc_pressure": "RegionServer GC time",
    "zookeeper_down": "ZooKeeper quorum at risk",
    "zookeeper_overloaded": "Outstanding requests",
    "druid_slots_full": "Task slot usage",
    "druid_unavailable_segments": "Unavailable segments",
    "druid_historical_full": "Segment cache usage",
    "kudu_failed_tablets": "Failed tablets",
    "kudu_too_many_tablets": "Too many tablets",
    "kafka_under_replicated": "Under-replicated partitions",
    "kafka_offline_partitions": "Offline partitions",
    "kafka_no_controller": "Active controller",
}
ALSO = {"Process FATAL": "Process BACKOFF"}  # a flapping program stays in BACKOFF instead
CLUSTER_LEVEL = {"Dead DataNodes", "ZooKeeper quorum at risk"}  # raised per cluster though the fault has a host
START = AT - 900  # every planted fault has lasted 15 minutes when the cycle runs
HEALTHY = ("hadoop-006", "druid-007", "hadoop-008", "kudu-009", "kafka-010")


def plant(
    kind: str, cluster: str, host: str | None = None, program: str | None = None, intensity: float = 0.6
) -> Fault:
    return Fault(kind, cluster, START, 1800, host, program, intensity)


PLANTED = [
    plant("disk_full", "hadoop-001", "hadoop-001-dn001"),
    plant("cpu_spike", "hadoop-001", "hadoop-001-dn002"),
    plant("memory_pressure", "hadoop-001", "hadoop-001-dn003"),
    plant("host_silent", "hadoop-001", "hadoop-001-dn004"),
    plant("process_crash", "hadoop-001", "hadoop-001-dn005", "yarn-nodemanager", intensity=0.9),
    plant("datanode_dead", "hadoop-001", "hadoop-001-dn006"),
    plant("namenode_heap_pressure", "hadoop-001", "hadoop-001-master1"),
    plant("hdfs_missing_blocks", "hadoop-001"),
    plant("hdfs_corrupt_blocks", "hadoop-001"),
    plant("hdfs_capacity_high", "hadoop-001"),
    plant("yarn_unhealthy_nodemanagers", "hadoop-003"),
    plant("yarn_lost_nodemanagers", "hadoop-003"),
    plant("yarn_pending_apps", "hadoop-003"),
    plant("hbase_regions_in_transition", "hadoop-003"),
    plant("hbase_slow_responses", "hadoop-003", "hadoop-003-dn001"),
    plant("hbase_compaction_backlog", "hadoop-003", "hadoop-003-dn002"),
    plant("regionserver_gc_pressure", "hadoop-003", "hadoop-003-dn003"),
    plant("zookeeper_down", "hadoop-003", "hadoop-003-master3", intensity=0.8),
    plant("zookeeper_overloaded", "hadoop-003", "hadoop-003-master1"),
    plant("druid_slots_full", "druid-002"),
    plant("druid_unavailable_segments", "druid-002"),
    plant("druid_historical_full", "druid-002", "druid-002-data001"),
    plant("kudu_failed_tablets", "kudu-004", "kudu-004-tserver001"),
    plant("kudu_too_many_tablets", "kudu-004", "kudu-004-tserver002"),
    plant("kafka_under_replicated", "kafka-005"),
    plant("kafka_offline_partitions", "kafka-005"),
    plant("kafka_no_controller", "kafka-005"),
]


def cycle(
    store: Store, config: Config, monitors: list[type[Monitor]], fleet: Fleet, at: float, history: float = 600.0
) -> list[Problem]:
    """Simulate the window before ``at`` (and ``history`` more) into ``store``; run one cycle at ``at``."""
    simulate(store, fleet, at - config.evaluation.window - history, at, step=60)
    with Evaluator(config, open_sources(config, store=store), monitors) as evaluator:
        result = evaluator.cycle(at=at)
    assert result.failed_monitors == []
    names = {cluster.name for cluster in fleet.clusters}
    return [p for p in result.problems if p.cluster in names]  # not the example clusters of configs/clusters


@pytest.fixture(scope="module")
def planted_problems(
    tmp_path_factory: pytest.TempPathFactory, shipped: Config, monitors: list[type[Monitor]]
) -> Iterator[list[Problem]]:
    """One cycle over a fleet with every planted fault, each 15 minutes old."""
    store = Store(tmp_path_factory.mktemp("planted") / "khp.db")
    yield cycle(store, shipped, monitors, Fleet(clusters=10, seed=21, fault_rate=0, faults=PLANTED), AT)
    store.close()


def test_every_fault_kind_is_planted_and_expected() -> None:
    assert {fault.kind for fault in PLANTED} == set(EXPECTED) == set(FAULT_KINDS)


def test_the_monitors_find_every_planted_fault(planted_problems: list[Problem]) -> None:
    found = {(p.check, p.cluster, p.host) for p in planted_problems}
    missed = []
    for fault in PLANTED:
        check = EXPECTED[fault.kind]
        host = None if check in CLUSTER_LEVEL else fault.host
        if (check, fault.cluster, host) not in found:
            missed.append(f"{fault.kind} on {fault.host or fault.cluster}: no {check!r} problem")
    assert missed == [], "\n".join(missed)


def test_clusters_without_faults_raise_nothing(planted_problems: list[Problem]) -> None:
    assert {p.cluster for p in planted_problems} == {fault.cluster for fault in PLANTED}
    assert [p for p in planted_problems if p.cluster in HEALTHY] == []


def test_a_healthy_fleet_raises_nothing_at_any_time_of_day(
    store: Store, shipped: Config, monitors: list[type[Monitor]]
) -> None:
    fleet = Fleet(clusters=20, seed=5, fault_rate=0)
    for hour in (0, 8, 16):  # each cluster peaks at its own time of day
        assert cycle(store, shipped, monitors, fleet, AT + hour * 3600, history=0) == []


@pytest.mark.parametrize("seed", [3, 17])
def test_scheduled_faults_are_found_and_nothing_else(
    store: Store, shipped: Config, monitors: list[type[Monitor]], seed: int
) -> None:
    fleet = Fleet(clusters=30, seed=seed, fault_rate=3)
    problems = cycle(store, shipped, monitors, fleet, AT)
    by_cluster: dict[str, set[str]] = defaultdict(set)
    for problem in problems:
        by_cluster[problem.cluster or ""].add(problem.check)

    # A fault's traces stay in the window (log lines, a dead Kafka controller's last value)
    # for up to ten minutes after it healed, so "recent" reaches back that far.
    recent = {fault.cluster for fault in fleet.faults_between(AT - 660, AT + 1)}
    assert set(by_cluster) <= recent
    settled = [f for f in fleet.active_faults(AT) if f.start <= AT - 720]
    assert settled, "the seed should give faults that have lasted twelve minutes"
    for fault in settled:
        check = EXPECTED[fault.kind]
        raised = by_cluster[fault.cluster]
        assert check in raised or ALSO.get(check) in raised or _masked(fault, fleet.active_faults(AT)), fault


def _masked(fault: Fault, active: list[Fault]) -> bool:
    """Whether another fault on the same host hides this one (the host or its agent went quiet)."""
    return any(
        other is not fault
        and other.host == fault.host
        and (
            other.kind == "host_silent"
            or (
                other.kind == "process_crash"
                and other.program in ("khp-agent", "node-exporter", fault.program or FAULT_KINDS[fault.kind].program)
            )
        )
        for other in active
    )
