"""YarnMonitor: unhealthy and lost NodeManagers, pending applications."""

from evaluator.monitors.yarn import YarnMonitor
from evaluator.testing import ClusterSetup, metric


def rm(name, value, cluster="alpha"):
    # The standby ResourceManager reports zeros.
    return [
        metric(f"yarn/resourcemanager/{name}", value, cluster=cluster, host="rm1"),
        metric(f"yarn/resourcemanager/{name}", 0, cluster=cluster, host="rm2"),
    ]


def test_unhealthy_nodemanagers(check):
    assert check(YarnMonitor, rm("NumUnhealthyNMs", 2)) == [
        ("Unhealthy NodeManagers", "warning", "alpha", None, 2.0, ">", 0.0)
    ]


def test_lost_nodemanagers(check):
    assert check(YarnMonitor, rm("NumLostNMs", 1)) == [("Lost NodeManagers", "warning", "alpha", None, 1.0, ">", 0.0)]


def test_lost_nodemanagers_critical_where_a_cluster_sets_it(check):
    clusters = {"alpha": ClusterSetup(thresholds={"yarn_lost_nodemanagers": {"critical": 5}})}
    assert check(YarnMonitor, rm("NumLostNMs", 8), clusters) == [
        ("Lost NodeManagers", "critical", "alpha", None, 8.0, ">", 5.0),
        ("Lost NodeManagers", "warning", "alpha", None, 8.0, ">", 0.0),
    ]


def test_pending_applications(check):
    assert check(YarnMonitor, rm("AppsPending", 150)) == [
        ("Pending applications", "warning", "alpha", None, 150.0, ">", 100.0)
    ]


def test_shipped_alpha_queues_more_applications(check, shipped):
    rows = rm("AppsPending", 150, cluster="alpha") + rm("AppsPending", 600, cluster="beta")
    assert check(YarnMonitor, rows, base=shipped) == [
        ("Pending applications", "warning", "beta", None, 600.0, ">", 100.0)
    ]


def test_null_turns_unhealthy_nodemanagers_off_for_a_cluster(check):
    rows = rm("NumUnhealthyNMs", 3, cluster="alpha") + rm("NumUnhealthyNMs", 3, cluster="beta")
    clusters = {"beta": ClusterSetup(thresholds={"yarn_unhealthy_nodemanagers": None})}
    assert [p[2] for p in check(YarnMonitor, rows, clusters)] == ["alpha"]


def test_healthy_yarn_raises_nothing(check):
    rows = [*rm("NumUnhealthyNMs", 0), *rm("NumLostNMs", 0), *rm("AppsPending", 100)]
    assert check(YarnMonitor, rows) == []
