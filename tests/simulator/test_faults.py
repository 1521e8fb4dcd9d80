"""Faults come, last and heal: abnormal rows while they last, the healthy rows again after."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from khp.simulator import FAULT_KINDS, Batch, Fault, Fleet
from khp.store import matches

from .conftest import AT
from .planted import FLEET_SIZE, PLANTED

SPAWNERR = "Exited too quickly (process log may have details)"
DURING, AFTER = AT + 300, AT + 660


def planted(*faults: Fault, clusters: int = 10) -> Fleet:
    return Fleet(clusters=clusters, seed=3, fault_rate=0, faults=faults)


def host_of(cluster: str, program: str, index: int = 0) -> str:
    return Fleet(clusters=10).cluster(cluster).hosts_running(program)[index].name


def values(batch: Batch, cluster: str, path: str) -> dict[str, float]:
    return {r.host: r.value for r in batch.metrics if r.cluster == cluster and r.path == path}


# kind, cluster, host program ("" = a cluster-wide fault), is the batch abnormal for this fault?
Check = Callable[[Batch, str, "str | None"], bool]


def _host_value(path: str, test: Callable[[float], bool]) -> Check:
    return lambda batch, cluster, host: test(values(batch, cluster, path)[host])


def _each_value(path: str, test: Callable[[float], bool]) -> Check:
    return lambda batch, cluster, host: (
        bool(values(batch, cluster, path)) and all(test(v) for v in values(batch, cluster, path).values())
    )


def _ratio(used: str, total: str, above: float) -> Check:
    return lambda batch, cluster, host: (
        max(values(batch, cluster, used).values()) / max(values(batch, cluster, total).values()) > above
    )


def _cpu(batch: Batch, cluster: str, host: str | None) -> bool:
    assert host is not None
    return values(batch, cluster, "host/os/cpu.user")[host] + values(batch, cluster, "host/os/cpu.system")[host] > 90


def _only_controller(path: str) -> Check:
    """Only the active controller reports a value above zero."""
    return lambda batch, cluster, host: sum(v > 0 for v in values(batch, cluster, path).values()) == 1


METRIC_FAULTS: list[tuple[str, str, str, Check]] = [
    ("disk_full", "kudu-004", "kudu-tserver", _host_value("host/os/disk.free_percent", lambda v: v < 5)),
    ("cpu_spike", "kafka-005", "kafka-broker", _cpu),
    ("memory_pressure", "druid-002", "druid-broker", _host_value("host/os/memory.used_percent", lambda v: v > 90)),
    ("hdfs_missing_blocks", "hadoop-001", "", _each_value("hdfs/namenode/MissingBlocks", lambda v: v > 0)),
    ("hdfs_corrupt_blocks", "hadoop-001", "", _each_value("hdfs/namenode/CorruptBlocks", lambda v: v > 0)),
    ("hdfs_capacity_high", "hadoop-001", "", _ratio("hdfs/namenode/CapacityUsed", "hdfs/namenode/CapacityTotal", 0.8)),
    (
        "namenode_heap_pressure",
        "hadoop-001",
        "hdfs-namenode",
        _host_value("hdfs/namenode/jvm.heap_used_percent", lambda v: v > 85),
    ),
    (
        "yarn_unhealthy_nodemanagers",
        "hadoop-003",
        "",
        _each_value("yarn/resourcemanager/NumUnhealthyNMs", lambda v: v > 0),
    ),
    ("yarn_lost_nodemanagers", "hadoop-003", "", _each_value("yarn/resourcemanager/NumLostNMs", lambda v: v > 0)),
    ("yarn_pending_apps", "hadoop-003", "", _each_value("yarn/resourcemanager/AppsPending", lambda v: v > 100)),
    (
        "hbase_regions_in_transition",
        "hadoop-003",
        "",
        _each_value("hbase/master/ritCount", lambda v: v > 10),
    ),
    (
        "hbase_compaction_backlog",
        "hadoop-006",
        "hbase-regionserver",
        _host_value("hbase/regionserver/compactionQueueLength", lambda v: v > 100),
    ),
    (
        "regionserver_gc_pressure",
        "hadoop-006",
        "hbase-regionserver",
        _host_value("hbase/regionserver/jvm.gc_time_ms", lambda v: v > 6000),
    ),
    (
        "zookeeper_overloaded",
        "druid-007",
        "zookeeper-server",
        _host_value("zookeeper/server/outstanding_requests", lambda v: v > 100),
    ),
    (
        "druid_slots_full",
        "druid-002",
        "",
        _ratio("druid/overlord/taskSlot.used.count", "druid/overlord/taskSlot.total.count", 0.9),
    ),
    (
        "druid_unavailable_segments",
        "druid-002",
        "",
        _each_value("druid/coordinator/segment.unavailable.count", lambda v: v > 0),
    ),
    (
        "druid_historical_full",
        "druid-007",
        "druid-historical",
        _host_value("druid/historical/segment.usedPercent", lambda v: v > 85),
    ),
    (
        "kudu_failed_tablets",
        "kudu-009",
        "kudu-tserver",
        _host_value("kudu/tserver/server.tablets_num_failed", lambda v: v > 0),
    ),
    (
        "kudu_too_many_tablets",
        "kudu-009",
        "kudu-tserver",
        _host_value("kudu/tserver/server.tablets_num_running", lambda v: v > 2000),
    ),
    (
        "kafka_under_replicated",
        "kafka-010",
        "",
        lambda b, c, h: sum(values(b, c, "kafka/broker/UnderReplicatedPartitions").values()) > 0,
    ),
    ("kafka_offline_partitions", "kafka-010", "", _only_controller("kafka/controller/OfflinePartitionsCount")),
    (
        "kafka_no_controller",
        "kafka-010",
        "",
        lambda b, c, h: sum(values(b, c, "kafka/controller/ActiveControllerCount").values()) == 0,
    ),
]


@pytest.mark.parametrize(("kind", "cluster", "program", "abnormal"), METRIC_FAULTS, ids=[f[0] for f in METRIC_FAULTS])
def test_a_metric_fault_is_abnormal_while_it_lasts_and_healthy_after(
    kind: str, cluster: str, program: str, abnormal: Check
) -> None:
    host = host_of(cluster, program) if program else None
    fault = Fault(kind, cluster, start=AT, duration=600, host=host, intensity=0.6)
    faulty, healthy = planted(fault), planted()

    assert not abnormal(faulty.rows_at(AT - 60, clusters=[cluster]), cluster, host)
    assert abnormal(faulty.rows_at(DURING, clusters=[cluster]), cluster, host)
    assert faulty.active_faults(DURING) == [Fault(kind, cluster, AT, 600, host, FAULT_KINDS[kind].program or None, 0.6)]
    after = faulty.rows_at(AFTER, clusters=[cluster])
    assert not abnormal(after, cluster, host)
    assert after.metrics == healthy.rows_at(AFTER, clusters=[cluster]).metrics
    assert faulty.active_faults(AFTER) == []


KINDS = {plant.kind: plant for plant in reversed(PLANTED.values())}  # the first plant of each kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_fault_kind_changes_what_is_reported_while_it_lasts_and_heals(kind: str) -> None:
    plant = KINDS[kind]
    fault = Fault(kind, plant.cluster, AT, 600, plant.host_name, plant.program, plant.intensity)
    faulty, healthy = planted(fault, clusters=FLEET_SIZE), planted(clusters=FLEET_SIZE)

    def rows(fleet: Fleet, t: float) -> Batch:
        return fleet.rows_at(t, since=AT - 60, clusters=[plant.cluster])

    assert rows(faulty, AT - 60) == rows(healthy, AT - 60)
    during, usual = rows(faulty, DURING), rows(healthy, DURING)
    assert (during.metrics, during.processes, during.logs) != (usual.metrics, usual.processes, usual.logs)
    assert rows(faulty, AFTER).metrics == rows(healthy, AFTER).metrics


def _state(batch: Batch, host: str, program: str) -> tuple[str, str, float]:
    (state,) = [p for p in batch.processes if p.host == host and p.name == program]
    return state.statename, state.spawnerr, state.start


def test_a_crashing_process_backs_off_then_is_fatal_then_runs_again() -> None:
    host = host_of("hadoop-003", "yarn-nodemanager", 2)
    fleet = planted(Fault("process_crash", "hadoop-003", AT, 600, host, "yarn-nodemanager", intensity=0.9))

    def paths(batch: Batch) -> set[str]:
        return {r.path for r in batch.metrics if r.host == host}

    before = fleet.rows_at(AT - 60, clusters=["hadoop-003"])
    assert _state(before, host, "yarn-nodemanager")[0] == "RUNNING"
    assert _state(fleet.rows_at(AT + 30), host, "yarn-nodemanager")[:2] == ("BACKOFF", SPAWNERR)
    during = fleet.rows_at(DURING, clusters=["hadoop-003"])
    assert _state(during, host, "yarn-nodemanager")[:2] == ("FATAL", SPAWNERR)
    assert "yarn/nodemanager/jvm.heap_used_percent" in paths(before)
    assert "yarn/nodemanager/jvm.heap_used_percent" not in paths(during)
    assert "hdfs/datanode/jvm.heap_used_percent" in paths(during)
    after = fleet.rows_at(AFTER, clusters=["hadoop-003"])
    assert _state(after, host, "yarn-nodemanager") == ("RUNNING", "", AT + 600)
    assert paths(after) == paths(before)


def test_a_flapping_process_stays_in_backoff() -> None:
    host = host_of("druid-002", "druid-historical")
    fleet = planted(Fault("process_crash", "druid-002", AT, 600, host, "druid-middlemanager", intensity=0.1))

    assert _state(fleet.rows_at(DURING), host, "druid-middlemanager")[:2] == ("BACKOFF", SPAWNERR)


def test_a_silent_host_reports_nothing_until_it_heals() -> None:
    host = host_of("kudu-004", "kudu-tserver", 1)
    fleet = planted(Fault("host_silent", "kudu-004", AT, 900, host))
    during, after = fleet.rows_at(DURING), fleet.rows_at(AT + 960)

    assert not [r for r in [*during.metrics, *during.processes] if r.host == host]
    assert [r for r in after.metrics if r.host == host] and [p for p in after.processes if p.host == host]


def test_a_dead_datanode_stops_reporting_and_the_namenodes_count_it() -> None:
    host = host_of("hadoop-001", "hdfs-datanode", 4)
    fleet = planted(Fault("datanode_dead", "hadoop-001", AT, 600, host))
    during = fleet.rows_at(DURING, clusters=["hadoop-001"])

    assert sorted(values(during, "hadoop-001", "hdfs/namenode/NumDeadDataNodes").values()) == [1.0, 1.0]
    assert host not in values(during, "hadoop-001", "hdfs/datanode/jvm.heap_used_percent")
    assert _state(during, host, "hdfs-datanode")[0] == "RUNNING"  # hung, not exited
    after = fleet.rows_at(AFTER, clusters=["hadoop-001"])
    assert sorted(values(after, "hadoop-001", "hdfs/namenode/NumDeadDataNodes").values()) == [0.0, 0.0]


@pytest.mark.parametrize(("intensity", "state"), [(0.2, "STOPPED"), (0.8, "FATAL")])
def test_a_zookeeper_server_goes_down_and_comes_back(intensity: float, state: str) -> None:
    host = host_of("kafka-005", "zookeeper-server", 1)
    fleet = planted(Fault("zookeeper_down", "kafka-005", AT, 600, host, intensity=intensity))

    assert _state(fleet.rows_at(DURING), host, "zookeeper-server")[0] == state
    running = [p for p in fleet.rows_at(DURING).processes if p.name == "zookeeper-server" and p.cluster == "kafka-005"]
    assert sum(p.running for p in running) == len(running) - 1
    assert _state(fleet.rows_at(AFTER), host, "zookeeper-server") == ("RUNNING", "", AT + 600)


def test_slow_response_bursts_come_from_one_regionserver() -> None:
    host = host_of("hadoop-008", "hbase-regionserver", 3)
    fleet = planted(Fault("hbase_slow_responses", "hadoop-008", AT, 600, host, intensity=0.5))

    def slow(since: float, until: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in fleet.rows_at(until, since=since, clusters=["hadoop-008"]).logs:
            if matches("responseToo*", line.message):
                counts[line.host] = counts.get(line.host, 0) + 1
        return counts

    during = slow(AT, AT + 600)
    assert during[host] >= 200
    assert all(count <= 2 for other, count in during.items() if other != host)
    assert slow(AT + 600, AT + 1200).get(host, 0) <= 2


def test_the_kafka_controller_fails_over_when_its_broker_crashes() -> None:
    controller = host_of("kafka-005", "kafka-broker", 0)
    fleet = planted(Fault("process_crash", "kafka-005", AT, 600, controller, "kafka-broker", intensity=0.9))

    def active(t: float) -> list[str]:
        batch = fleet.rows_at(t, clusters=["kafka-005"])
        return [h for h, v in values(batch, "kafka-005", "kafka/controller/ActiveControllerCount").items() if v == 1]

    assert active(AT - 60) == [controller]
    assert active(DURING) == [host_of("kafka-005", "kafka-broker", 1)]
    assert active(AFTER) == [controller]


def test_the_schedule_has_mostly_short_faults_a_few_long_ones_and_every_kind() -> None:
    fleet = Fleet(clusters=100, seed=12)
    week = fleet.faults_between(AT, AT + 7 * 86400)
    short = [f for f in week if f.duration <= 480]
    long = [f for f in week if f.duration >= 3600]

    assert len(short) > 0.6 * len(week)
    assert 0 < len(long) < 0.15 * len(week)
    assert {f.kind for f in week} == {name for name, kind in FAULT_KINDS.items() if kind.weight > 0}
    for fault in week[:500]:
        kind = FAULT_KINDS[fault.kind]
        cluster = fleet.cluster(fault.cluster)
        assert cluster.kind in kind.kinds
        if kind.program is None:
            assert fault.host is None
        else:
            assert fault.host is not None
            host = cluster.host(fault.host)
            assert fault.program is None or fault.program in host.programs


def test_planted_faults_are_checked_against_the_fleet() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'meteor'"):
        Fault("meteor", "hadoop-001", AT, 60)
    with pytest.raises(ValueError, match="lacks"):
        planted(Fault("cpu_spike", "hadoop-999", AT, 60, "h"))
    with pytest.raises(ValueError, match="a kudu cluster"):
        planted(Fault("hdfs_missing_blocks", "kudu-004", AT, 60))
    with pytest.raises(ValueError, match="does not run hdfs-datanode"):
        planted(Fault("datanode_dead", "hadoop-001", AT, 60, "hadoop-001-master3"))
    with pytest.raises(ValueError, match="names the program"):
        planted(Fault("process_crash", "hadoop-001", AT, 60, "hadoop-001-master3"))


def test_a_host_whose_supervisor_is_down_sends_no_process_states_but_its_metrics() -> None:
    host = host_of("kafka-005", "kafka-broker", 2)
    fleet = planted(Fault("supervisor_down", "kafka-005", AT, 600, host))
    during = fleet.rows_at(DURING, clusters=["kafka-005"])

    assert not [p for p in during.processes if p.host == host]
    assert {r.path for r in during.metrics if r.host == host} >= {"kafka/broker/jvm.heap_used_percent"}
    assert fleet.unreachable(DURING) == [("kafka-005", host, "[Errno 111] Connection refused")]
    assert fleet.unreachable(AFTER) == []
    assert [p for p in fleet.rows_at(AFTER, clusters=["kafka-005"]).processes if p.host == host]


def test_a_removed_program_has_no_process_state_and_no_metrics() -> None:
    host = host_of("hadoop-001", "hdfs-datanode", 3)
    fleet = planted(Fault("program_removed", "hadoop-001", AT, 600, host, "yarn-nodemanager"))
    during = fleet.rows_at(DURING, clusters=["hadoop-001"])

    assert {p.name for p in during.processes if p.host == host} == set(
        fleet.cluster("hadoop-001").host(host).programs
    ) - {"yarn-nodemanager"}
    assert not [r for r in during.metrics if r.host == host and r.service == "yarn"]
    assert [r for r in during.metrics if r.host == host and r.service == "hdfs"]


def test_the_active_namenode_fails_over_when_it_crashes() -> None:
    first, second = (host_of("hadoop-001", "hdfs-namenode", i) for i in (0, 1))
    fleet = planted(Fault("process_crash", "hadoop-001", AT, 600, first, "hdfs-namenode", intensity=0.9))

    def active(t: float) -> list[str]:
        batch = fleet.rows_at(t, clusters=["hadoop-001"])
        return [h for h, v in values(batch, "hadoop-001", "hdfs/namenode/HAState.active").items() if v == 1]

    assert active(AT - 60) == [first]
    assert active(DURING) == [second]
    assert active(AFTER) == [first]


@pytest.mark.parametrize(("intensity", "actives"), [(0.2, 0), (0.8, 2)])
def test_namenode_ha_lost_means_no_active_or_two(intensity: float, actives: int) -> None:
    fleet = planted(Fault("namenode_ha_lost", "hadoop-001", AT, 600, intensity=intensity))
    during = fleet.rows_at(DURING, clusters=["hadoop-001"])

    assert sum(values(during, "hadoop-001", "hdfs/namenode/HAState.active").values()) == actives
