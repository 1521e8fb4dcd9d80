"""HdfsMonitor: capacity, blocks, DataNodes, NameNode heap, safe mode and HA state, checkpoints, JournalNodes."""

from evaluator.monitors.hdfs import HdfsMonitor
from evaluator.testing import ClusterSetup, metric

TB = 1024**4


def namenodes(name, active, standby=0, cluster="alpha"):
    return [
        metric(f"hdfs/namenode/{name}", active, cluster=cluster, host="nn1"),
        metric(f"hdfs/namenode/{name}", standby, cluster=cluster, host="nn2"),
    ]


def capacity(used_tb, total_tb, cluster="alpha"):
    return namenodes("CapacityUsed", used_tb * TB, cluster=cluster) + namenodes(
        "CapacityTotal", total_tb * TB, cluster=cluster
    )


def test_capacity_used_percent_from_used_over_total(check):
    assert check(HdfsMonitor, capacity(850, 1000)) == [("HDFS capacity", "warning", "alpha", None, 85.0, ">", 80.0)]
    assert check(HdfsMonitor, capacity(950, 1000)) == [
        ("HDFS capacity", "critical", "alpha", None, 95.0, ">", 90.0),
        ("HDFS capacity", "warning", "alpha", None, 95.0, ">", 80.0),
    ]


def test_shipped_alpha_tolerates_fuller_hdfs(check, shipped):
    rows = capacity(830, 1000, cluster="alpha") + capacity(830, 1000, cluster="delta")
    assert check(HdfsMonitor, rows, base=shipped) == [("HDFS capacity", "warning", "delta", None, 83.0, ">", 80.0)]


def test_missing_blocks_are_critical_at_once(check):
    assert check(HdfsMonitor, namenodes("MissingBlocks", 1)) == [
        ("Missing blocks", "critical", "alpha", None, 1.0, ">", 0.0)
    ]


def test_corrupt_blocks_warn(check):
    assert check(HdfsMonitor, namenodes("CorruptBlocks", 2)) == [
        ("Corrupt blocks", "warning", "alpha", None, 2.0, ">", 0.0)
    ]


def test_dead_datanodes_warn_then_go_critical(check):
    rows = namenodes("NumDeadDataNodes", 1, cluster="alpha") + namenodes("NumDeadDataNodes", 3, cluster="beta")
    assert check(HdfsMonitor, rows) == [
        ("Dead DataNodes", "warning", "alpha", None, 1.0, ">", 0.0),
        ("Dead DataNodes", "critical", "beta", None, 3.0, ">", 2.0),
        ("Dead DataNodes", "warning", "beta", None, 3.0, ">", 0.0),
    ]


def test_small_cluster_makes_one_dead_datanode_critical(check, shipped):
    assert check(HdfsMonitor, namenodes("NumDeadDataNodes", 1, cluster="gamma"), base=shipped) == [
        ("Dead DataNodes", "critical", "gamma", None, 1.0, ">", 0.0),
        ("Dead DataNodes", "warning", "gamma", None, 1.0, ">", 0.0),
    ]


def test_namenode_heap_per_namenode(check):
    rows = namenodes("jvm.heap_used_percent", 97, standby=88)
    assert check(HdfsMonitor, rows) == [
        ("NameNode heap usage", "critical", "alpha", "nn1", 97.0, ">", 95.0),
        ("NameNode heap usage", "warning", "alpha", "nn1", 97.0, ">", 85.0),
        ("NameNode heap usage", "warning", "alpha", "nn2", 88.0, ">", 85.0),
    ]


def test_a_cluster_can_turn_corrupt_blocks_off_and_warn_on_missing_ones(check):
    rows = namenodes("CorruptBlocks", 5, cluster="beta") + namenodes("MissingBlocks", 1, cluster="beta")
    clusters = {
        "beta": ClusterSetup(
            thresholds={"hdfs_corrupt_blocks": None, "hdfs_missing_blocks": {"warning": 0, "critical": 10}}
        )
    }
    assert check(HdfsMonitor, rows, clusters) == [("Missing blocks", "warning", "beta", None, 1.0, ">", 0.0)]


def test_healthy_hdfs_raises_nothing(check):
    rows = [
        *capacity(500, 1000),
        *namenodes("MissingBlocks", 0),
        *namenodes("CorruptBlocks", 0),
        *namenodes("NumDeadDataNodes", 0),
        *namenodes("jvm.heap_used_percent", 60, standby=40),
    ]
    assert check(HdfsMonitor, rows) == []


AT = 1795946400.0  # DEFAULT_AT


def test_safe_mode_warns_per_namenode_and_is_critical_on_the_active_one(check):
    rows = namenodes("Safemode", 1, 1) + namenodes("HAState.active", 1, 0)
    assert check(HdfsMonitor, rows) == [
        ("NameNode safe mode", "critical", "alpha", "nn1", 1.0, ">", 0.0),
        ("NameNode safe mode", "warning", "alpha", "nn1", 1.0, ">", 0.0),
        ("NameNode safe mode", "warning", "alpha", "nn2", 1.0, ">", 0.0),
    ]


def test_ha_state_needs_exactly_one_active_namenode(check):
    assert check(HdfsMonitor, namenodes("HAState.active", 1, 0)) == []
    assert check(HdfsMonitor, namenodes("HAState.active", 0, 0)) == [
        ("NameNode HA state", "critical", "alpha", None, 0.0, "!=", 1.0)
    ]
    assert check(HdfsMonitor, namenodes("HAState.active", 1, 1)) == [
        ("NameNode HA state", "critical", "alpha", None, 2.0, "!=", 1.0)
    ]


def test_a_namenode_that_stopped_reporting_is_not_counted_active(check):
    # nn1 was active until it died five minutes ago; nn2 took over: one active, not two.
    rows = [
        metric("hdfs/namenode/HAState.active", 1, host="nn1", ago="5m"),
        metric("hdfs/namenode/HAState.active", 1, host="nn2", ago="1m"),
    ]
    assert check(HdfsMonitor, rows) == []


def test_checkpoint_age_in_hours_from_the_last_checkpoint_time(check):
    rows = namenodes("LastCheckpointTime", (AT - 8 * 3600) * 1000, (AT - 30 * 3600) * 1000)
    assert check(HdfsMonitor, rows) == [("Checkpoint age", "warning", "alpha", None, 8.0, ">", 6.0)]


def test_journalnode_sync_latency_is_read_in_milliseconds(check):
    rows = [metric("hdfs/journalnode/Syncs60s99thPercentileLatencyMicros", 2_500_000, host="jn1")]
    assert check(HdfsMonitor, rows) == [("JournalNode sync latency", "warning", "alpha", "jn1", 2500.0, ">", 1000.0)]
