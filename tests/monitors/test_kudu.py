"""KuduMonitor: the seed's 'Too many tablets' and 'Failed tablets'."""

from evaluator.monitors.kudu import KuduMonitor
from evaluator.testing import ClusterSetup, metric

RUNNING = "kudu/tserver/server.tablets_num_running"
FAILED = "kudu/tserver/server.tablets_num_failed"


def test_too_many_tablets_warns_per_tablet_server(check):
    rows = [metric(RUNNING, 2500, host="t1"), metric(RUNNING, 1800, host="t2")]
    assert check(KuduMonitor, rows) == [("Too many tablets", "warning", "alpha", "t1", 2500.0, ">", 2000.0)]


def test_too_many_tablets_is_critical_only_where_a_cluster_sets_it(check):
    rows = [metric(RUNNING, 3500, cluster="alpha", host="t1"), metric(RUNNING, 3500, cluster="beta", host="t1")]
    clusters = {"beta": ClusterSetup(thresholds={"kudu_tablets_num_running": {"critical": 3000}})}
    assert check(KuduMonitor, rows, clusters) == [
        ("Too many tablets", "warning", "alpha", "t1", 3500.0, ">", 2000.0),
        ("Too many tablets", "critical", "beta", "t1", 3500.0, ">", 3000.0),
        ("Too many tablets", "warning", "beta", "t1", 3500.0, ">", 2000.0),
    ]


def test_failed_tablets_warn_then_go_critical(check):
    rows = [metric(FAILED, 1, host="t1"), metric(FAILED, 11, host="t2")]
    assert check(KuduMonitor, rows) == [
        ("Failed tablets", "warning", "alpha", "t1", 1.0, ">", 0.0),
        ("Failed tablets", "critical", "alpha", "t2", 11.0, ">", 10.0),
        ("Failed tablets", "warning", "alpha", "t2", 11.0, ">", 0.0),
    ]


def test_healthy_tablet_servers_raise_nothing(check):
    rows = [metric(RUNNING, 2000, host="t1"), metric(FAILED, 0, host="t1"), metric(RUNNING, 900, host="t2")]
    assert check(KuduMonitor, rows) == []


def test_a_cluster_can_raise_the_tablet_limit(check):
    rows = [metric(RUNNING, 2500, cluster="alpha", host="t1"), metric(RUNNING, 2500, cluster="beta", host="t1")]
    clusters = {"beta": ClusterSetup(thresholds={"kudu_tablets_num_running": {"warning": 3000}})}
    assert [(c, s, cl) for c, s, cl, *_ in check(KuduMonitor, rows, clusters)] == [
        ("Too many tablets", "warning", "alpha")
    ]


def test_a_null_threshold_turns_failed_tablets_off_on_that_cluster(check):
    rows = [metric(FAILED, 20, cluster="alpha", host="t1"), metric(FAILED, 20, cluster="beta", host="t1")]
    clusters = {"beta": ClusterSetup(thresholds={"kudu_tablets_num_failed": None})}
    assert {p[2] for p in check(KuduMonitor, rows, clusters)} == {"alpha"}


def test_values_older_than_the_window_are_ignored(check):
    assert check(KuduMonitor, [metric(FAILED, 5, host="t1", ago="11m")]) == []
