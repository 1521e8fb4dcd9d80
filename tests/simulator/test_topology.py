"""The fleet's shape: sizes, names, kinds, and what runs where."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from khp.configuration import InventoryConfig
from khp.simulator import AGENTS, PROGRAMS, Fleet


def test_a_hundred_clusters_are_about_three_thousand_hosts() -> None:
    fleet = Fleet(clusters=100)

    assert (fleet.hosts, fleet.processes) == (3118, 18379)  # documented in simulator/_topology.py
    assert Counter(c.kind for c in fleet.clusters) == {"hadoop": 40, "druid": 20, "kudu": 20, "kafka": 20}


def test_a_thousand_clusters_are_about_thirty_thousand_hosts() -> None:
    fleet = Fleet(clusters=1000)

    assert (fleet.hosts, fleet.processes) == (31300, 184105)


def test_hosts_per_cluster_scales_the_workers() -> None:
    fleet = Fleet(clusters=100, hosts_per_cluster=55)

    assert (fleet.hosts, fleet.processes) == (5441, 32066)


def test_names_are_readable_and_derived_from_cluster_and_role() -> None:
    fleet = Fleet(clusters=12)

    assert [c.name for c in fleet.clusters[:5]] == ["hadoop-001", "druid-002", "hadoop-003", "kudu-004", "kafka-005"]
    hadoop = fleet.cluster("hadoop-001")
    assert [h.name for h in hadoop.hosts[:3]] == ["hadoop-001-master1", "hadoop-001-master2", "hadoop-001-master3"]
    assert hadoop.hosts[-1].name.startswith("hadoop-001-dn")
    assert all(host.name.startswith(cluster.name + "-") for cluster in fleet.clusters for host in cluster.hosts)
    assert len({host.name for cluster in fleet.clusters for host in cluster.hosts}) == fleet.hosts


def test_a_cluster_is_the_same_whatever_the_seed_and_fleet_size() -> None:
    assert Fleet(clusters=3, seed=1).clusters == Fleet(clusters=30, seed=9).clusters[:3]


@pytest.mark.parametrize(
    ("kind", "counts"),
    [
        (
            "hadoop",
            {
                "hdfs-namenode": 2,
                "yarn-resourcemanager": 2,
                "hbase-master": 2,
                "hdfs-journalnode": 3,
                "hive-metastore": 2,
                "hive-hiveserver2": 2,
                "trino-coordinator": 1,
            },
        ),
        ("druid", {"druid-overlord": 2, "druid-coordinator": 2, "zookeeper-server": 3}),
        ("kudu", {"kudu-master": 3}),
    ],
)
def test_masters_run_in_ha_sets(kind: str, counts: dict[str, int]) -> None:
    for cluster in (c for c in Fleet(clusters=40).clusters if c.kind == kind):
        for program, count in counts.items():
            assert len(cluster.hosts_running(program)) == count, (cluster.name, program)


def test_workers_are_co_located_and_ensembles_are_three_or_five() -> None:
    fleet = Fleet(clusters=40)
    for cluster in fleet.clusters:
        if cluster.kind == "hadoop":
            for host in cluster.hosts_running("hdfs-datanode"):
                assert {"yarn-nodemanager", "hbase-regionserver", "trino-worker"} <= set(host.programs)
        if cluster.kind == "kafka":
            assert len(cluster.hosts_running("kafka-broker")) >= 3
        if cluster.kind != "kudu":
            assert len(cluster.hosts_running("zookeeper-server")) == cluster.zookeepers in (3, 5)
    assert {c.zookeepers for c in fleet.clusters if c.kind == "hadoop"} == {3, 5}


def test_every_host_runs_the_agents() -> None:
    for cluster in Fleet(clusters=10).clusters:
        for host in cluster.hosts:
            assert set(AGENTS) <= set(host.programs)


def test_program_names_map_to_service_and_role_by_the_default_pattern() -> None:
    pattern = re.compile(InventoryConfig().process_pattern)
    for program in PROGRAMS.values():
        found = pattern.match(program.name)
        assert found is not None
        assert (found.group("service"), found.group("role")) == (program.service, program.role)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one cluster"):
        Fleet(clusters=0)
    with pytest.raises(ValueError, match="fault_rate"):
        Fleet(clusters=1, fault_rate=-1)
