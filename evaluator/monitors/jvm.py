"""JVMs: heap and GC time of every Java role, the fullest or busiest one per host.

``<role>`` is each role of ``JAVA_ROLES``: every HDFS, YARN, HBase, ZooKeeper, Druid, Kafka, Hive
and Trino daemon. The NameNode's heap and the RegionServers' GC time have checks of their own
(hdfs, hbase) with their own thresholds, so they are left out here. A problem names the role.
"""

from collections.abc import Mapping

from evaluator import Element, Monitor, Vector

JAVA_ROLES = (
    "hdfs/namenode",
    "hdfs/journalnode",
    "hdfs/datanode",
    "yarn/resourcemanager",
    "yarn/nodemanager",
    "hbase/master",
    "hbase/regionserver",
    "zookeeper/server",
    "druid/overlord",
    "druid/coordinator",
    "druid/broker",
    "druid/historical",
    "druid/middlemanager",
    "kafka/broker",
    "hive/metastore",
    "hive/hiveserver2",
    "trino/coordinator",
    "trino/worker",
)


class JvmMonitor(Monitor):
    """Heap and garbage collection of every Java process."""

    thresholds = {
        "jvm_heap_used_percent": {"warning": 90, "critical": 97, "meaning": "JVM heap used after GC, percent"},
        "jvm_gc_ms": {"warning": 10000, "critical": 30000, "meaning": "JVM GC time, ms per minute"},
    }

    def run(self) -> None:
        heap = _highest(
            {role: self.all(f"{role}/jvm.heap_used_percent") for role in JAVA_ROLES if role != "hdfs/namenode"}
        )
        self.emit(
            "JVM heap usage",
            warning=heap > self.w("jvm_heap_used_percent"),
            critical=heap > self.c("jvm_heap_used_percent"),
            description="A Java process's heap is nearly full; long GC pauses and OOM ahead",
            action="Take a heap histogram (jmap -histo:live PID | head) before restarting; raise -Xmx if too small",
        )

        gc = _highest({role: self.all(f"{role}/jvm.gc_time_ms") for role in JAVA_ROLES if role != "hbase/regionserver"})
        self.emit(
            "JVM GC time",
            warning=gc > self.w("jvm_gc_ms"),
            critical=gc > self.c("jvm_gc_ms"),
            description="A Java process spends much of its time in garbage collection",
            action="Read its GC log for full GCs and their cause; compare heap usage with -Xmx before tuning",
        )


def _highest(by_role: Mapping[str, Vector]) -> Vector:
    """Per host, the largest value over the roles' vectors, with the role as the problem's detail."""

    def pick() -> list[Element]:
        best: dict[tuple[str, str | None], tuple[float, str]] = {}
        for role, vector in by_role.items():
            for e in vector:
                seen = best.get((e.cluster, e.host))
                if seen is None or e.value > seen[0]:
                    best[(e.cluster, e.host)] = (e.value, role)
        return [Element(cluster, host, value, detail=role) for (cluster, host), (value, role) in best.items()]

    return Vector(pick, f"highest({', '.join(by_role)})")
