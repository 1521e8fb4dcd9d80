"""ZookeeperMonitor: the quorum from process state, the leader, requests, file descriptors, slow fsyncs."""

import pytest

from evaluator.monitors.zookeeper import ZookeeperMonitor
from evaluator.testing import ClusterSetup, log, metric, process

QUORUM = "ZooKeeper quorum at risk"


def ensemble(servers, running, cluster="alpha"):
    """``servers`` ZooKeeper hosts, the first ``running`` of them RUNNING, the others FATAL."""
    return [
        process(
            "zookeeper-server",
            "RUNNING" if index < running else "FATAL",
            cluster=cluster,
            host=f"zk{index + 1}",
            spawnerr="" if index < running else "Exited too quickly (process log may have details)",
        )
        for index in range(servers)
    ]


def severities(found):
    return sorted(severity for check, severity, *_ in found if check == QUORUM)


@pytest.mark.parametrize(
    "servers, running, expected",
    [
        (3, 3, []),
        (3, 2, ["critical", "warning"]),  # one more failure and 1 of 3 is no quorum
        (3, 1, ["critical", "warning"]),  # quorum already lost
        (3, 0, ["critical", "warning"]),
        (5, 5, []),
        (5, 4, ["warning"]),  # 3 of 5 would still be a quorum
        (5, 3, ["critical", "warning"]),
        (5, 2, ["critical", "warning"]),
        (2, 2, []),
        (2, 1, ["critical", "warning"]),
        (1, 1, []),  # a standalone server is only at risk once it is down
        (1, 0, ["critical", "warning"]),
    ],
)
def test_quorum_logic(check, servers, running, expected):
    assert severities(check(ZookeeperMonitor, ensemble(servers, running))) == expected


def test_one_of_three_down_reports_servers_down_and_running_servers(check):
    assert check(ZookeeperMonitor, ensemble(3, 2)) == [
        (QUORUM, "critical", "alpha", None, 2.0, "<=", 2.5),
        (QUORUM, "warning", "alpha", None, 1.0, ">", 0.0),
    ]


def test_one_of_five_down_is_a_warning(check):
    assert check(ZookeeperMonitor, ensemble(5, 4)) == [(QUORUM, "warning", "alpha", None, 1.0, ">", 0.0)]


def test_a_server_in_the_cluster_file_that_reports_nothing_counts_as_down(check):
    hosts = {f"zk{n}": ["zookeeper/server"] for n in (1, 2, 3)}
    rows = ensemble(2, 2)  # zk3 is listed but has no process at all
    assert severities(check(ZookeeperMonitor, rows, {"alpha": ClusterSetup(hosts=hosts)})) == ["critical", "warning"]


def test_a_server_seen_earlier_today_still_counts(check):
    rows = [*ensemble(4, 4), process("zookeeper-server", cluster="alpha", host="zk5", ago="3h")]
    assert check(ZookeeperMonitor, rows) == [(QUORUM, "warning", "alpha", None, 1.0, ">", 0.0)]


def test_clusters_are_judged_apart(check):
    rows = ensemble(3, 3, cluster="alpha") + ensemble(5, 3, cluster="beta")
    assert {cluster for _c, _s, cluster, *_ in check(ZookeeperMonitor, rows)} == {"beta"}


def test_null_servers_down_leaves_only_the_quorum_rule(check):
    clusters = {"alpha": ClusterSetup(thresholds={"zookeeper_servers_down": None})}
    assert check(ZookeeperMonitor, ensemble(5, 4), clusters) == []
    assert severities(check(ZookeeperMonitor, ensemble(5, 3), clusters)) == ["critical"]


def test_a_cluster_can_make_any_server_down_critical(check):
    clusters = {"alpha": ClusterSetup(thresholds={"zookeeper_servers_down": {"critical": 0}})}
    assert check(ZookeeperMonitor, ensemble(5, 4), clusters) == [
        (QUORUM, "critical", "alpha", None, 1.0, ">", 0.0),
        (QUORUM, "warning", "alpha", None, 1.0, ">", 0.0),
    ]


def test_shipped_gamma_lists_its_three_servers(check, shipped):
    rows = [
        process("zookeeper-server", cluster="gamma", host="g-zk1"),
        process("zookeeper-server", cluster="gamma", host="g-zk2"),
        process("zookeeper-server", "STOPPED", cluster="gamma", host="g-zk3"),
    ]
    assert check(ZookeeperMonitor, rows, base=shipped) == [
        (QUORUM, "critical", "gamma", None, 2.0, "<=", 2.5),
        (QUORUM, "warning", "gamma", None, 1.0, ">", 0.0),
    ]


def test_outstanding_requests_per_server(check):
    rows = [
        metric("zookeeper/server/outstanding_requests", 150, host="zk1"),
        metric("zookeeper/server/outstanding_requests", 1500, host="zk2"),
        metric("zookeeper/server/outstanding_requests", 3, host="zk3"),
    ]
    assert check(ZookeeperMonitor, rows) == [
        ("Outstanding requests", "warning", "alpha", "zk1", 150.0, ">", 100.0),
        ("Outstanding requests", "critical", "alpha", "zk2", 1500.0, ">", 1000.0),
        ("Outstanding requests", "warning", "alpha", "zk2", 1500.0, ">", 100.0),
    ]


def test_healthy_ensemble_raises_nothing(check):
    rows = [*ensemble(3, 3), *(metric("zookeeper/server/outstanding_requests", 0, host=f"zk{n}") for n in (1, 2, 3))]
    assert check(ZookeeperMonitor, rows) == []


def test_a_stopped_server_counts_as_down(check):
    rows = [*ensemble(3, 3)[:2], process("zookeeper-server", "STOPPED", host="zk3")]
    assert severities(check(ZookeeperMonitor, rows)) == ["critical", "warning"]


def test_no_leader_in_the_last_two_minutes_is_critical(check):
    leader = "zookeeper/server/server_state.leader"
    gone = [metric(leader, 1, host="zk1", ago="5m"), metric(leader, 0, host="zk2"), metric(leader, 0, host="zk3")]
    assert check(ZookeeperMonitor, gone) == [("No ZooKeeper leader", "critical", "alpha", None, 0.0, "<", 1.0)]
    moved = [*gone, metric(leader, 1, host="zk2", ago="30s")]
    assert check(ZookeeperMonitor, moved) == []


def test_slow_fsyncs_are_counted_from_the_servers_log(check):
    line = (
        "persistence.FileTxnLog: fsync-ing the write ahead log in SyncThread:1 took 1342ms which will adversely"
        " effect operation latency.File size is 67108880 bytes. See the ZooKeeper troubleshooting guide"
    )
    rows = [log("zookeeper/server/x", line, host="zk1") for _ in range(5)]
    rows += [log("zookeeper/server/x", "server.ZooKeeperServer: Established session 0x1", host="zk2", level="INFO")]
    assert check(ZookeeperMonitor, rows) == [("Slow fsync", "warning", "alpha", "zk1", 5.0, ">", 3.0)]


def test_file_descriptors_as_a_share_of_the_limit(check):
    rows = [
        metric("zookeeper/server/open_file_descriptor_count", 3900, host="zk1"),
        metric("zookeeper/server/max_file_descriptor_count", 4096, host="zk1"),
        metric("zookeeper/server/open_file_descriptor_count", 3900, host="zk2"),
        metric("zookeeper/server/max_file_descriptor_count", 65536, host="zk2"),
    ]
    found = check(ZookeeperMonitor, rows)
    assert [(c, s, h, round(v, 1)) for c, s, _cl, h, v, _op, _t in found] == [
        ("ZooKeeper file descriptors", "critical", "zk1", 95.2),
        ("ZooKeeper file descriptors", "warning", "zk1", 95.2),
    ]
