"""HbaseMonitor: regions in transition, compactions, GC, and the seed's responseToo* log rule."""

from evaluator.monitors.hbase import HbaseMonitor
from evaluator.testing import ClusterSetup, log, metric

RS_LOG = "hbase/regionserver/responseToo*"
SLOW = (
    "ipc.RpcServer: (responseTooSlow): "
    '{"call":"Scan(org.apache.hadoop.hbase.protobuf.generated.ClientProtos$ScanRequest)",'
    '"starttimems":1795946400000,"responsesize":12,"method":"Scan","processingtimems":10234,"client":"10.1.2.3:51234"}'
)
LARGE = (
    "ipc.RpcServer: (responseTooLarge): "
    '{"call":"Multi(org.apache.hadoop.hbase.protobuf.generated.ClientProtos$MultiRequest)",'
    '"responsesize":157286400,"method":"Multi","processingtimems":210,"client":"10.1.2.4:40112"}'
)
OTHER = [
    "ipc.RpcServer: RpcServer.responder: callId: 4117 wrote 1024 bytes.",
    "regionserver.HRegion: Flushing 1/1 column families, dataSize=128.02 MB",
    "wal.AbstractFSWAL: Slow sync cost: 312 ms, current pipeline: []",
    "client.ScannerCallable: responseTimeout after 60000 ms",
]


def masters(name, active, cluster="alpha"):
    return [
        metric(f"hbase/master/{name}", active, cluster=cluster, host="m1"),
        metric(f"hbase/master/{name}", 0, cluster=cluster, host="m2"),
    ]


def lines(message, count, host="rs1", cluster="alpha", ago="1m"):
    return [log(RS_LOG, message, cluster=cluster, host=host, ago=ago) for _ in range(count)]


def test_regions_in_transition(check):
    assert check(HbaseMonitor, masters("ritCount", 11)) == [
        ("Regions in transition", "warning", "alpha", None, 11.0, ">", 10.0)
    ]


def test_regions_stuck_in_transition(check):
    rows = masters("ritCountOverThreshold", 1, cluster="alpha") + masters("ritCountOverThreshold", 6, cluster="beta")
    assert check(HbaseMonitor, rows) == [
        ("Regions stuck in transition", "warning", "alpha", None, 1.0, ">", 0.0),
        ("Regions stuck in transition", "critical", "beta", None, 6.0, ">", 5.0),
        ("Regions stuck in transition", "warning", "beta", None, 6.0, ">", 0.0),
    ]


def test_shipped_beta_makes_any_stuck_region_critical(check, shipped):
    assert check(HbaseMonitor, masters("ritCountOverThreshold", 1, cluster="beta"), base=shipped) == [
        ("Regions stuck in transition", "critical", "beta", None, 1.0, ">", 0.0),
        ("Regions stuck in transition", "warning", "beta", None, 1.0, ">", 0.0),
    ]


def test_compaction_queue_per_regionserver(check):
    rows = [
        metric("hbase/regionserver/compactionQueueLength", 150, host="rs1"),
        metric("hbase/regionserver/compactionQueueLength", 20, host="rs2"),
    ]
    assert check(HbaseMonitor, rows) == [("Compaction queue", "warning", "alpha", "rs1", 150.0, ">", 100.0)]


def test_regionserver_gc_time(check):
    rows = [
        metric("hbase/regionserver/jvm.gc_time_ms", 7000, host="rs1"),
        metric("hbase/regionserver/jvm.gc_time_ms", 25000, host="rs2"),
        metric("hbase/regionserver/jvm.gc_time_ms", 800, host="rs3"),
    ]
    assert check(HbaseMonitor, rows) == [
        ("RegionServer GC time", "warning", "alpha", "rs1", 7000.0, ">", 6000.0),
        ("RegionServer GC time", "critical", "alpha", "rs2", 25000.0, ">", 20000.0),
        ("RegionServer GC time", "warning", "alpha", "rs2", 25000.0, ">", 6000.0),
    ]


def test_log_rule_counts_response_too_slow_and_too_large(check):
    rows = lines(SLOW, 30) + lines(LARGE, 21) + lines(SLOW, 50, host="rs2")
    assert check(HbaseMonitor, rows) == [("Slow or large responses", "warning", "alpha", "rs1", 51.0, ">", 50.0)]


def test_log_rule_counts_each_kind_on_its_own(check):
    clusters = {"alpha": ClusterSetup(thresholds={"hbase_response_warning_count": {"warning": 0}})}
    rows = lines(SLOW, 1, host="rs1") + lines(LARGE, 1, host="rs2")
    assert check(HbaseMonitor, rows, clusters) == [
        ("Slow or large responses", "warning", "alpha", "rs1", 1.0, ">", 0.0),
        ("Slow or large responses", "warning", "alpha", "rs2", 1.0, ">", 0.0),
    ]


def test_log_rule_ignores_other_lines_other_roles_and_lines_older_than_ten_minutes(check):
    clusters = {"alpha": ClusterSetup(thresholds={"hbase_response_warning_count": {"warning": 0}})}
    rows = [
        *lines(SLOW, 1, ago="9m"),
        *(log(RS_LOG, message, host="rs1") for message in OTHER),
        *lines(SLOW, 5, ago="11m"),
        *lines(LARGE, 5, ago="10m1s"),
        log("hbase/master/x", SLOW, host="rs1"),
        *(log(RS_LOG, message, host="rs2") for message in OTHER),
        *lines(LARGE, 3, host="rs2", ago="30m"),
    ]
    assert check(HbaseMonitor, rows, clusters) == [
        ("Slow or large responses", "warning", "alpha", "rs1", 1.0, ">", 0.0)
    ]


def test_log_rule_at_the_threshold_does_not_fire(check):
    assert check(HbaseMonitor, lines(SLOW, 25) + lines(LARGE, 25)) == []


def test_shipped_alpha_allows_more_slow_responses(check, shipped):
    rows = lines(SLOW, 120, cluster="alpha") + lines(SLOW, 120, cluster="beta")
    assert check(HbaseMonitor, rows, base=shipped) == [
        ("Slow or large responses", "warning", "beta", "rs1", 120.0, ">", 50.0)
    ]


def test_healthy_hbase_raises_nothing(check):
    rows = [
        *masters("ritCount", 3),
        *masters("ritCountOverThreshold", 0),
        metric("hbase/regionserver/compactionQueueLength", 4, host="rs1"),
        metric("hbase/regionserver/jvm.gc_time_ms", 900, host="rs1"),
        *lines(SLOW, 10),
        *(log(RS_LOG, message) for message in OTHER),
    ]
    assert check(HbaseMonitor, rows) == []
