"""JvmMonitor: heap and GC time of every Java role, the worst one per host, named in the problem."""

from evaluator import describe_checks
from evaluator.monitors.hbase import HbaseMonitor
from evaluator.monitors.hdfs import HdfsMonitor
from evaluator.monitors.jvm import JAVA_ROLES, JvmMonitor
from evaluator.testing import metric, run_monitor
from khp.simulator import PROGRAMS


def test_the_fullest_heap_of_a_host_is_reported_with_its_role(check):
    rows = [
        metric("hdfs/datanode/jvm.heap_used_percent", 92, host="dn1"),
        metric("yarn/nodemanager/jvm.heap_used_percent", 98, host="dn1"),
        metric("trino/worker/jvm.heap_used_percent", 60, host="dn2"),
    ]
    problems = run_monitor(JvmMonitor, rows)
    assert [(p.check, p.severity, p.host, p.value, p.description) for p in problems] == [
        (
            "JVM heap usage",
            "critical",
            "dn1",
            98.0,
            "A Java process's heap is nearly full; long GC pauses and OOM ahead (yarn/nodemanager)",
        ),
        (
            "JVM heap usage",
            "warning",
            "dn1",
            98.0,
            "A Java process's heap is nearly full; long GC pauses and OOM ahead (yarn/nodemanager)",
        ),
    ]


def test_gc_time_per_host(check):
    gc = "kafka/broker/jvm.gc_time_ms"
    rows = [metric(gc, 12000, host="b1"), metric(gc, 300, host="b2")]
    assert check(JvmMonitor, rows) == [("JVM GC time", "warning", "alpha", "b1", 12000.0, ">", 10000.0)]


def test_the_namenode_heap_and_regionserver_gc_are_left_to_their_own_checks(check):
    rows = [
        metric("hdfs/namenode/jvm.heap_used_percent", 99, host="nn1"),
        metric("hbase/regionserver/jvm.gc_time_ms", 40000, host="rs1"),
    ]
    assert check(JvmMonitor, rows) == []
    assert {c[0] for c in check(HdfsMonitor, rows)} == {"NameNode heap usage"}
    assert {c[0] for c in check(HbaseMonitor, rows)} == {"RegionServer GC time"}


def test_every_simulated_java_program_is_a_java_role():
    assert set(JAVA_ROLES) == {f"{p.service}/{p.role}" for p in PROGRAMS.values() if p.jvm}
    assert [c.name for c in describe_checks(JvmMonitor)] == ["JVM heap usage", "JVM GC time"]
