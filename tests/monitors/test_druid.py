"""DruidMonitor: task slot usage (the seed's example), unavailable segments, segment cache usage."""

import pytest

from evaluator.monitors.druid import DruidMonitor
from evaluator.testing import ClusterSetup, metric

USED = "druid/overlord/taskSlot.used.count"
TOTAL = "druid/overlord/taskSlot.total.count"
UNAVAILABLE = "druid/coordinator/segment.unavailable.count"
CACHE = "druid/historical/segment.usedPercent"


def slots(used, total, cluster="alpha"):
    # Both overlords of the HA pair report; the standby lags behind.
    return [
        metric(USED, used, cluster=cluster, host="o1"),
        metric(TOTAL, total, cluster=cluster, host="o1"),
        metric(USED, used / 2, cluster=cluster, host="o2"),
        metric(TOTAL, total, cluster=cluster, host="o2"),
    ]


def test_task_slot_usage_is_max_used_over_max_total(check):
    assert check(DruidMonitor, slots(1020, 1200)) == [("Task slot usage", "warning", "alpha", None, 85.0, ">", 80.0)]


def test_task_slot_usage_goes_critical(check):
    assert check(DruidMonitor, slots(570, 600)) == [
        ("Task slot usage", "critical", "alpha", None, 95.0, ">", 90.0),
        ("Task slot usage", "warning", "alpha", None, 95.0, ">", 80.0),
    ]


@pytest.mark.parametrize("used, total", [(599, 1215), (0, 75), (80, 100), (5, 0)])
def test_task_slot_usage_at_or_below_threshold_or_without_slots_is_fine(check, used, total):
    assert check(DruidMonitor, slots(used, total)) == []


def test_a_cluster_file_lowers_the_slot_threshold(check):
    rows = slots(75, 100, cluster="alpha") + slots(75, 100, cluster="beta")
    clusters = {"alpha": ClusterSetup(thresholds={"druid_slot_used_percent": {"warning": 70}})}
    assert check(DruidMonitor, rows, clusters) == [("Task slot usage", "warning", "alpha", None, 75.0, ">", 70.0)]


def test_shipped_alpha_keeps_more_slot_headroom(check, shipped):
    rows = slots(75, 100, cluster="alpha") + slots(75, 100, cluster="delta")
    assert check(DruidMonitor, rows, base=shipped) == [("Task slot usage", "warning", "alpha", None, 75.0, ">", 70.0)]


def test_unavailable_segments(check):
    rows = [
        metric(UNAVAILABLE, 3, cluster="alpha", host="c1"),
        metric(UNAVAILABLE, 0, cluster="alpha", host="c2"),
        metric(UNAVAILABLE, 150, cluster="beta", host="c1"),
        metric(UNAVAILABLE, 0, cluster="gamma", host="c1"),
    ]
    assert check(DruidMonitor, rows) == [
        ("Unavailable segments", "warning", "alpha", None, 3.0, ">", 0.0),
        ("Unavailable segments", "critical", "beta", None, 150.0, ">", 100.0),
        ("Unavailable segments", "warning", "beta", None, 150.0, ">", 0.0),
    ]


def test_segment_cache_usage_per_historical(check):
    rows = [metric(CACHE, 90, host="h1"), metric(CACHE, 96, host="h2"), metric(CACHE, 50, host="h3")]
    assert check(DruidMonitor, rows) == [
        ("Segment cache usage", "warning", "alpha", "h1", 90.0, ">", 85.0),
        ("Segment cache usage", "critical", "alpha", "h2", 96.0, ">", 95.0),
        ("Segment cache usage", "warning", "alpha", "h2", 96.0, ">", 85.0),
    ]


def test_null_turns_segment_cache_checks_off_for_a_cluster(check):
    rows = [metric(CACHE, 99, cluster="alpha", host="h1"), metric(CACHE, 99, cluster="beta", host="h1")]
    clusters = {"beta": ClusterSetup(thresholds={"druid_segment_cache_used_percent": None})}
    assert {p[2] for p in check(DruidMonitor, rows, clusters)} == {"alpha"}


def test_healthy_druid_raises_nothing(check):
    rows = [*slots(300, 1200), metric(UNAVAILABLE, 0, host="c1"), metric(CACHE, 60, host="h1")]
    assert check(DruidMonitor, rows) == []
