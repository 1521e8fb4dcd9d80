"""ProcessMonitor: failed process states, missing roles, silent hosts, unreachable Supervisors."""

import pytest

from evaluator.monitors.processes import ProcessMonitor
from evaluator.testing import ClusterSetup, process, run_monitor

SPAWNERR = "Exited too quickly (process log may have details)"


def datanode_host(host, cluster="alpha", ago="1m"):
    return [
        process("hdfs-datanode", cluster=cluster, host=host, ago=ago),
        process("yarn-nodemanager", cluster=cluster, host=host, ago=ago),
        process("khp-agent", cluster=cluster, host=host, ago=ago),
    ]


@pytest.mark.parametrize("state", ["FATAL", "BACKOFF", "EXITED"])
def test_a_process_in_a_failed_state_is_reported_per_host(check, state):
    rows = [*datanode_host("dn2"), process("hdfs-datanode", state, host="dn1"), process("yarn-nodemanager", host="dn1")]
    assert check(ProcessMonitor, rows) == [(f"Process {state}", "warning", "alpha", "dn1", 1.0, ">", 0.0)]


def test_fatal_names_the_processes_and_supervisors_reason(config):
    rows = [
        process("hdfs-datanode", "FATAL", host="dn1", spawnerr=SPAWNERR),
        process("yarn-nodemanager", "FATAL", host="dn1", spawnerr=SPAWNERR),
    ]
    [problem] = run_monitor(ProcessMonitor, rows, config=config)
    assert (problem.check, problem.host, problem.value) == ("Process FATAL", "dn1", 2.0)
    assert problem.description == (
        "Supervisor gave up starting processes (hdfs-datanode: Exited too quickly (process log may have details),"
        " yarn-nodemanager: Exited too quickly (process log may have details))"
    )


def test_only_the_latest_state_counts(check):
    rows = [
        process("hdfs-datanode", "FATAL", host="dn1", ago="5m"),
        process("hdfs-datanode", "RUNNING", host="dn1", ago="1m"),
        process("yarn-nodemanager", host="dn1"),
    ]
    assert check(ProcessMonitor, rows) == []


def test_fatal_is_critical_where_a_cluster_asks_for_it(check):
    rows = [process("zookeeper-server", "FATAL", cluster="gamma", host="g-zk1")]
    clusters = {"gamma": ClusterSetup(thresholds={"process_fatal_count": {"critical": 0}})}
    assert check(ProcessMonitor, rows, clusters) == [
        ("Process FATAL", "critical", "gamma", "g-zk1", 1.0, ">", 0.0),
        ("Process FATAL", "warning", "gamma", "g-zk1", 1.0, ">", 0.0),
    ]


def test_a_cluster_can_ignore_exited_processes(check):
    rows = [process("khp-agent", "EXITED", cluster=cluster, host="h1") for cluster in ("alpha", "beta")]
    clusters = {"beta": ClusterSetup(thresholds={"process_exited_count": None})}
    assert [p[2] for p in check(ProcessMonitor, rows, clusters)] == ["alpha"]


def test_a_role_from_the_cluster_file_without_a_process_is_missing(config):
    hosts = {"dn1": ["hdfs/datanode", "yarn/nodemanager", "khp/agent"], "dn2": ["hdfs/datanode", "khp/agent"]}
    rows = [
        process("hdfs-datanode", host="dn1"),
        process("hdfs-datanode", host="dn2"),
        process("khp-agent", host="dn2"),
    ]
    problems = run_monitor(ProcessMonitor, rows, clusters={"alpha": ClusterSetup(hosts=hosts)}, config=config)
    assert [(p.check, p.severity, p.host, p.value) for p in problems] == [
        ("NodeManager missing", "warning", "dn2", 1.0),
        ("Role missing", "warning", "dn1", 2.0),
    ]
    assert problems[1].description.endswith("(no process for khp/agent, yarn/nodemanager)")


def test_a_failed_process_still_counts_as_present(check):
    hosts = {"dn1": ["hdfs/datanode", "yarn/nodemanager"]}
    rows = [process("hdfs-datanode", "FATAL", host="dn1"), process("yarn-nodemanager", host="dn1")]
    assert [p[0] for p in check(ProcessMonitor, rows, {"alpha": ClusterSetup(hosts=hosts)})] == ["Process FATAL"]


def test_datanode_host_without_nodemanager(check):
    rows = [*datanode_host("dn1"), process("hdfs-datanode", host="dn2"), process("hdfs-datanode", host="dn3")]
    assert check(ProcessMonitor, rows) == [
        ("NodeManager missing", "warning", "alpha", "dn2", 1.0, ">", 0.0),
        ("NodeManager missing", "warning", "alpha", "dn3", 1.0, ">", 0.0),
    ]


def test_a_cluster_without_yarn_turns_the_nodemanager_check_off(check, shipped):
    rows = [process("hdfs-datanode", cluster=cluster, host="dn1") for cluster in ("alpha", "beta")]
    found = check(ProcessMonitor, rows, base=shipped)
    assert [p[2] for p in found if p[0] == "NodeManager missing"] == ["alpha"]


def test_a_host_that_stopped_reporting_is_silent_but_not_also_missing_roles(check):
    hosts = {"dn9": ["hdfs/datanode", "yarn/nodemanager"]}
    rows = [*datanode_host("dn1"), *datanode_host("dn2", ago="2h")]
    assert check(ProcessMonitor, rows, {"alpha": ClusterSetup(hosts=hosts)}) == [
        ("Host silent", "warning", "alpha", "dn2", 1.0, ">", 0.0),
        ("Host silent", "warning", "alpha", "dn9", 1.0, ">", 0.0),
    ]


def test_shipped_gamma_reports_its_quiet_hosts(check, shipped):
    roles = {
        "g-zk": ["zookeeper-server", "hdfs-journalnode"],
        "g-nn": ["hdfs-namenode", "yarn-resourcemanager"],
        "g-dn": ["hdfs-datanode", "yarn-nodemanager"],
    }
    rows = [
        process(name, cluster="gamma", host=f"{prefix}{n}")
        for prefix, names in roles.items()
        for n in (1, 2, 3)
        for name in [*names, "khp-agent"]
        if f"{prefix}{n}" not in ("g-nn3", "g-dn3")
    ]
    assert check(ProcessMonitor, rows, base=shipped) == [("Host silent", "warning", "gamma", "g-dn3", 1.0, ">", 0.0)]


def test_supervisor_unreachable(evaluate):
    rows = [*datanode_host("dn1"), *datanode_host("dn2"), *datanode_host("dn3", ago="1h")]
    unreachable = [("alpha", "dn2", "connection refused"), ("alpha", "dn3", "timed out after 10s")]
    problems = evaluate([ProcessMonitor], rows, unreachable=unreachable)
    assert [(p.check, p.severity, p.cluster, p.host, p.value) for p in problems] == [
        ("Supervisor unreachable", "warning", "alpha", "dn2", 1.0),
        ("Supervisor unreachable", "warning", "alpha", "dn3", 1.0),
    ]
    assert problems[1].description == "Supervisor on the host does not answer (timed out after 10s)"


def test_a_cluster_can_turn_unreachable_and_silent_hosts_off(evaluate):
    rows = [*datanode_host("dn1", cluster="beta", ago="1h"), *datanode_host("dn2", cluster="beta", ago="1h")]
    clusters = {"beta": ClusterSetup(thresholds={"supervisor_unreachable": None, "silent_host": None})}
    assert evaluate([ProcessMonitor], rows, unreachable=[("beta", "dn1", "refused")], clusters=clusters) == []


def test_healthy_hosts_raise_nothing(check):
    hosts = {"dn1": ["hdfs/datanode", "yarn/nodemanager", "khp/agent"]}
    rows = [*datanode_host("dn1"), *datanode_host("dn2"), process("zookeeper-server", host="zk1")]
    assert check(ProcessMonitor, rows, {"alpha": ClusterSetup(hosts=hosts)}) == []
