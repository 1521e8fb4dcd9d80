"""Process states and the inventory: which hosts run which roles, what is running, what is missing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evaluator import DslError, Monitor
from evaluator._inventory import RoleNamer
from evaluator.testing import ClusterSetup, process, run_monitor
from khp.configuration import Config, InventoryConfig

from .helpers import AT, Probe

ROWS = [
    process("zookeeper-server", host="a-zk1"),
    process("zookeeper-server", "FATAL", host="a-zk2", spawnerr="Exited too quickly"),
    process("zookeeper-server", host="a-zk3"),
    process("zookeeper-server", host="a-zk4", ago="2h"),  # seen today, silent in the window
    process("hdfs-datanode", host="a-dn1"),
    process("yarn-nodemanager", host="a-dn1"),
    process("hdfs-datanode", "FATAL", host="a-dn2", ago="5m"),
    process("hdfs-datanode", host="a-dn2"),  # a-dn2's latest state
    process("yarn-nodemanager", host="a-dn3"),
    process("zookeeper-server", "STOPPED", cluster="beta", host="b-zk1"),
    process("zookeeper-server", "BACKOFF", cluster="beta", host="b-zk2"),
]
CLUSTERS = {
    "alpha": ClusterSetup(
        hosts={
            "a-dn1": ["hdfs/datanode", "yarn/nodemanager"],
            "a-dn3": ["hdfs/datanode", "yarn/nodemanager"],
        }
    ),
    "beta": ClusterSetup(hosts={"b-dn1": ["hdfs/datanode"]}),
}


@pytest.fixture
def fleet(dsl: Callable[..., Probe]) -> Probe:
    return dsl(ROWS, clusters=CLUSTERS)


def where(processes: list) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return [(p.cluster, p.host, p.name, p.statename) for p in processes]


def test_processes_are_the_latest_states_in_the_window(fleet: Probe) -> None:
    assert where(fleet.processes()) == [
        ("alpha", "a-dn1", "hdfs-datanode", "RUNNING"),
        ("alpha", "a-dn1", "yarn-nodemanager", "RUNNING"),
        ("alpha", "a-dn2", "hdfs-datanode", "RUNNING"),
        ("alpha", "a-dn3", "yarn-nodemanager", "RUNNING"),
        ("alpha", "a-zk1", "zookeeper-server", "RUNNING"),
        ("alpha", "a-zk2", "zookeeper-server", "FATAL"),
        ("alpha", "a-zk3", "zookeeper-server", "RUNNING"),
        ("beta", "b-zk1", "zookeeper-server", "STOPPED"),
        ("beta", "b-zk2", "zookeeper-server", "BACKOFF"),
    ]


def test_processes_of_a_role_and_in_some_states(fleet: Probe) -> None:
    assert [p.host for p in fleet.processes(role="zookeeper/server")] == ["a-zk1", "a-zk2", "a-zk3", "b-zk1", "b-zk2"]
    assert [p.host for p in fleet.processes("zookeeper/server", "RUNNING")] == ["a-zk1", "a-zk3"]
    assert [p.host for p in fleet.processes(state=["STOPPED", "BACKOFF"])] == ["b-zk1", "b-zk2"]
    assert fleet.processes(role="kafka/broker") == []


REPORTING = [("alpha", h) for h in ("a-dn1", "a-dn2", "a-dn3", "a-zk1", "a-zk2", "a-zk3")] + [
    ("beta", "b-zk1"),
    ("beta", "b-zk2"),
]


def test_process_count_is_per_host_with_the_processes_as_detail(fleet: Probe) -> None:
    fatal = fleet.process_count("FATAL")
    assert [e for e in fatal.to_list() if e["value"]] == [
        {"cluster": "alpha", "host": "a-zk2", "value": 1.0, "detail": "zookeeper-server: Exited too quickly"}
    ]
    assert fleet.process_count(["STOPPED", "BACKOFF"]).values() == {
        **dict.fromkeys(REPORTING, 0.0),
        ("beta", "b-zk1"): 1.0,
        ("beta", "b-zk2"): 1.0,
    }
    assert fleet.process_count("RUNNING", role="zookeeper/server").values() == {
        ("alpha", "a-zk1"): 1.0,
        ("alpha", "a-zk2"): 0.0,
        ("alpha", "a-zk3"): 1.0,
        ("beta", "b-zk1"): 0.0,
        ("beta", "b-zk2"): 0.0,
    }
    running = fleet.process_count("RUNNING").to_list()
    assert running[0] == {
        "cluster": "alpha",
        "host": "a-dn1",
        "value": 2.0,
        "detail": "hdfs-datanode, yarn-nodemanager",
    }
    assert fleet.process_count("EXITED").values() == dict.fromkeys(REPORTING, 0.0)


def test_a_host_that_reported_nothing_in_the_window_has_no_process_count(fleet: Probe) -> None:
    fatal = fleet.process_count("FATAL") > 0
    assert fatal.outcome("alpha", "a-zk2") is True  # a problem
    assert fatal.outcome("alpha", "a-zk1") is False  # reported, none FATAL: ok
    assert fatal.outcome("alpha", "a-zk4") is None  # silent in the window: no data
    assert fatal.outcome("beta", "b-dn1") is None  # in the cluster file, never reported


def test_hosts_and_host_count_come_from_the_inventory(fleet: Probe) -> None:
    assert [(e.cluster, e.host, e.value) for e in fleet.hosts("zookeeper/server")] == [
        ("alpha", "a-zk1", 1.0),
        ("alpha", "a-zk2", 1.0),
        ("alpha", "a-zk3", 1.0),
        ("alpha", "a-zk4", 1.0),
        ("beta", "b-zk1", 1.0),
        ("beta", "b-zk2", 1.0),
    ]
    assert fleet.host_count("zookeeper/server").to_list() == [
        {"cluster": "alpha", "value": 4.0},
        {"cluster": "beta", "value": 2.0},
    ]
    assert fleet.host_count("hdfs/datanode").values() == {("alpha", None): 3.0, ("beta", None): 1.0}


def test_running_count_includes_clusters_with_nothing_running(fleet: Probe) -> None:
    assert fleet.running_count("zookeeper/server").to_list() == [
        {"cluster": "alpha", "value": 2.0},
        {"cluster": "beta", "value": 0.0},
    ]
    assert (fleet.running_count("zookeeper/server") < 3).to_list() == [
        {"cluster": "alpha", "value": 2.0, "compare": "<", "threshold": 3},
        {"cluster": "beta", "value": 0.0, "compare": "<", "threshold": 3},
    ]
    assert fleet.running_count("hdfs/datanode").values() == {("alpha", None): 2.0, ("beta", None): 0.0}
    assert fleet.running_count("kafka/broker").to_list() == []


def test_roles_of_a_host(fleet: Probe) -> None:
    assert fleet.roles("alpha", "a-dn1") == frozenset({"hdfs/datanode", "yarn/nodemanager"})
    assert fleet.roles("alpha", "a-dn2") == frozenset({"hdfs/datanode"})
    assert fleet.roles("beta", "b-dn1") == frozenset({"hdfs/datanode"})
    assert fleet.roles("beta", "nowhere") == frozenset()


def test_hosts_without_a_role_they_should_have(fleet: Probe) -> None:
    assert fleet.hosts_without("yarn/nodemanager", having="hdfs/datanode").to_list() == [
        {"cluster": "alpha", "host": "a-dn2", "value": 1.0, "detail": "runs hdfs/datanode without yarn/nodemanager"},
        {"cluster": "beta", "host": "b-dn1", "value": 1.0, "detail": "runs hdfs/datanode without yarn/nodemanager"},
    ]


def test_missing_roles_are_cluster_file_roles_without_a_process(fleet: Probe) -> None:
    assert fleet.missing_roles().to_list() == [
        {"cluster": "alpha", "host": "a-dn3", "value": 1.0, "detail": "no process for hdfs/datanode"},
        {"cluster": "beta", "host": "b-dn1", "value": 1.0, "detail": "no process for hdfs/datanode"},
    ]


def test_missing_roles_counts_every_missing_role(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(clusters={"alpha": ClusterSetup(hosts={"a-dn9": ["hdfs/datanode", "yarn/nodemanager"]})})
    assert monitor.missing_roles().to_list() == [
        {"cluster": "alpha", "host": "a-dn9", "value": 2.0, "detail": "no process for hdfs/datanode, yarn/nodemanager"}
    ]


def test_silent_hosts_are_known_hosts_without_a_state_in_the_window(fleet: Probe) -> None:
    assert [(e.cluster, e.host, e.value, e.detail) for e in fleet.silent_hosts()] == [
        ("alpha", "a-zk4", 1.0, "no process state in the window"),
        ("beta", "b-dn1", 1.0, "no process state in the window"),
    ]


def test_the_embedded_source_has_no_unreachable_hosts(fleet: Probe) -> None:
    assert fleet.unreachable_hosts().to_list() == []


def test_the_cluster_scope_limits_processes_and_inventory(dsl: Callable[..., Probe]) -> None:
    dsl(ROWS)
    beta = dsl(clusters=CLUSTERS, only=["beta"])
    assert {p.cluster for p in beta.processes()} == {"beta"}
    assert beta.running_count("zookeeper/server").clusters() == ["beta"]
    assert [e.host for e in beta.silent_hosts()] == ["b-dn1"]


def test_the_inventory_at_a_past_time(dsl: Callable[..., Probe]) -> None:
    dsl(ROWS, clusters=CLUSTERS)
    earlier = dsl(clusters=CLUSTERS, at=AT - 7200)
    assert [p.host for p in earlier.processes()] == ["a-zk4"]
    assert earlier.running_count("zookeeper/server").values() == {("alpha", None): 1.0}


# -- the process name -> service/role rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("hdfs-datanode", "hdfs/datanode"),
        ("hbase_regionserver", "hbase/regionserver"),
        ("druid-middle-manager", "druid/middle-manager"),
        ("kudu-tserver", "kudu/tserver"),
        ("zookeeper", None),
        ("-datanode", None),
    ],
)
def test_the_default_pattern_splits_service_and_role(name: str, role: str | None) -> None:
    assert RoleNamer(InventoryConfig())(name) == role


def test_the_explicit_table_comes_before_the_pattern() -> None:
    namer = RoleNamer(InventoryConfig(process_roles={"zkserver": "zookeeper/server", "hdfs-dn": "hdfs/datanode"}))
    assert namer("zkserver") == "zookeeper/server"
    assert namer("hdfs-dn") == "hdfs/datanode"
    assert namer("hdfs-namenode") == "hdfs/namenode"


def test_the_pattern_is_configurable() -> None:
    namer = RoleNamer(InventoryConfig(process_pattern=r"^(?P<role>[a-z]+)@(?P<service>[a-z]+)$"))
    assert namer("datanode@hdfs") == "hdfs/datanode"
    assert namer("hdfs-datanode") is None


def test_the_rule_applies_to_every_process_helper(dsl: Callable[..., Probe]) -> None:
    config = Config(file="<test>", inventory=InventoryConfig(process_roles={"zkserver": "zookeeper/server"}))
    monitor = dsl([process("zkserver", host="zk1"), process("zookeeper-server", "FATAL", host="zk2")], config=config)
    assert [p.host for p in monitor.processes(role="zookeeper/server")] == ["zk1", "zk2"]
    assert monitor.running_count("zookeeper/server").values() == {("alpha", None): 1.0}
    assert monitor.roles("alpha", "zk1") == frozenset({"zookeeper/server"})


# -- rules in one or two lines, and bad arguments ------------------------------------------------------


def test_the_seed_rules_are_one_or_two_lines() -> None:
    class ZooKeeperQuorum(Monitor):
        def run(self) -> None:
            self.emit("ZooKeeper quorum", critical=self.running_count("zookeeper/server") < 3)

    class DataNodeWithoutNodeManager(Monitor):
        def run(self) -> None:
            self.emit(
                "DataNode without NodeManager",
                warning=self.hosts_without("yarn/nodemanager", having="hdfs/datanode") > 0,
            )

    quorum = run_monitor(ZooKeeperQuorum, ROWS, clusters=CLUSTERS)
    assert [(p.cluster, p.host, p.severity, p.value) for p in quorum] == [
        ("alpha", None, "critical", 2.0),
        ("beta", None, "critical", 0.0),
    ]
    orphans = run_monitor(DataNodeWithoutNodeManager, ROWS, clusters=CLUSTERS)
    assert [(p.cluster, p.host, p.description) for p in orphans] == [
        ("alpha", "a-dn2", "runs hdfs/datanode without yarn/nodemanager"),
        ("beta", "b-dn1", "runs hdfs/datanode without yarn/nodemanager"),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.processes(role="zookeeper"),
        lambda m: m.processes(role="zookeeper/server/x"),
        lambda m: m.process_count("RUNNING", role="/server"),
        lambda m: m.hosts("zookeeper"),
        lambda m: m.host_count(""),
        lambda m: m.running_count("zookeeper-server"),
        lambda m: m.hosts_without("yarn/nodemanager", having="datanode"),
        lambda m: m.hosts_without("nodemanager", having="hdfs/datanode"),
    ],
)
def test_a_role_is_service_slash_role(dsl: Callable[..., Probe], call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DslError, match="is not a role; write 'service/role'"):
        call(dsl())


@pytest.mark.parametrize("state", ["running", "DEAD", ["RUNNING", "fatal"]])
def test_an_unknown_process_state_is_a_dsl_error(dsl: Callable[..., Probe], state: object) -> None:
    monitor = dsl(ROWS)
    with pytest.raises(DslError, match="STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN"):
        monitor.processes(state=state)  # type: ignore[arg-type]
    with pytest.raises(DslError, match="is not a process state"):
        list(monitor.process_count(state))  # type: ignore[arg-type]
