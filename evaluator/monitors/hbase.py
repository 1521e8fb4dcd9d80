"""HBase: regions in transition, compaction backlog, RegionServer GC, slow or large RPC responses."""

from evaluator import Monitor


class HbaseMonitor(Monitor):
    """HBase masters and RegionServers."""

    thresholds = {
        "hbase_rit_count": {"warning": 10, "critical": None, "meaning": "regions in transition, per cluster"},
        "hbase_rit_over_threshold": {
            "warning": 0,
            "critical": 5,
            "meaning": "regions in transition longer than HBase's stuck threshold",
        },
        "hbase_compaction_queue": {"warning": 100, "critical": None, "meaning": "queued compactions per RegionServer"},
        "hbase_regionserver_gc_ms": {
            "warning": 6000,
            "critical": 20000,
            "meaning": "RegionServer GC time, ms per minute",
        },
        "hbase_response_warning_count": {
            "warning": 50,
            "critical": None,
            "meaning": "responseTooSlow/TooLarge log lines per RegionServer in 10 minutes",
        },
    }

    def run(self) -> None:
        # Masters run as an HA pair: take the larger value per cluster.
        rit = self.max("hbase/master/ritCount")
        self.emit(
            "Regions in transition",
            warning=rit > self.w("hbase_rit_count"),
            critical=rit > self.c("hbase_rit_count"),
            description="Regions in transition",
        )

        stuck = self.max("hbase/master/ritCountOverThreshold")
        self.emit(
            "Regions stuck in transition",
            warning=stuck > self.w("hbase_rit_over_threshold"),
            critical=stuck > self.c("hbase_rit_over_threshold"),
            description="Regions in transition for too long; their data is unavailable",
        )

        compactions = self.all("hbase/regionserver/compactionQueueLength")
        self.emit(
            "Compaction queue",
            warning=compactions > self.w("hbase_compaction_queue"),
            critical=compactions > self.c("hbase_compaction_queue"),
            description="RegionServer compaction backlog growing",
        )

        gc = self.all("hbase/regionserver/jvm.gc_time_ms")
        self.emit(
            "RegionServer GC time",
            warning=gc > self.w("hbase_regionserver_gc_ms"),
            critical=gc > self.c("hbase_regionserver_gc_ms"),
            description="RegionServer spends too long in GC; its ZooKeeper session is at risk",
        )

        # responseToo* counts both (responseTooSlow) and (responseTooLarge) lines of ipc.RpcServer.
        responses = self.log_count("hbase/regionserver/responseToo*", period="PT10M")
        self.emit(
            "Slow or large responses",
            warning=responses > self.w("hbase_response_warning_count"),
            critical=responses > self.c("hbase_response_warning_count"),
            description="Many responseTooSlow/responseTooLarge RPCs in 10 minutes",
        )
