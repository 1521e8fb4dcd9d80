"""Hive: the Metastore's connections and call latency, HiveServer2's sessions and async queue.

Paths are the names of Hive's own metrics (``hive.metastore.metrics.enabled``,
``hive.server2.metrics.enabled``); ``api_get_table.99thPercentile`` is the JMX attribute of the
``api_get_table`` timer, in milliseconds.
"""

from evaluator import Monitor


class HiveMonitor(Monitor):
    """Hive Metastore and HiveServer2."""

    thresholds = {
        "hive_metastore_connections": {
            "warning": 800,
            "critical": 950,
            "meaning": "open Metastore connections (hive.metastore.server.max.threads is 1000)",
        },
        "hive_metastore_get_table_ms": {
            "warning": 1000,
            "critical": 5000,
            "meaning": "Metastore get_table call time, 99th percentile, ms",
        },
        "hive_hiveserver2_sessions": {
            "warning": 400,
            "critical": 480,
            "meaning": "open HiveServer2 sessions (hive.server2.thrift.max.worker.threads is 500)",
        },
        "hive_hiveserver2_async_queue": {
            "warning": 50,
            "critical": 90,
            "meaning": "operations waiting in HiveServer2's async queue (it holds 100)",
        },
    }

    def run(self) -> None:
        connections = self.all("hive/metastore/open_connections")
        self.emit(
            "Metastore connections",
            warning=connections > self.w("hive_metastore_connections"),
            critical=connections > self.c("hive_metastore_connections"),
            description="Hive Metastore nearly out of connection threads; new clients will hang",
            action="Find the hosts holding most connections (netstat on port 9083); look for a leaking client",
        )

        get_table_ms = self.all("hive/metastore/api_get_table.99thPercentile")
        self.emit(
            "Metastore slow calls",
            warning=get_table_ms > self.w("hive_metastore_get_table_ms"),
            critical=get_table_ms > self.c("hive_metastore_get_table_ms"),
            description="Hive Metastore answers slowly; every query planner waits",
            action="Check the Metastore's backing database (slow queries, connections) and the Metastore's GC",
        )

        sessions = self.all("hive/hiveserver2/hs2_open_sessions")
        self.emit(
            "HiveServer2 sessions",
            warning=sessions > self.w("hive_hiveserver2_sessions"),
            critical=sessions > self.c("hive_hiveserver2_sessions"),
            description="HiveServer2 nearly out of worker threads; new connections will hang",
            action="Find idle sessions per user in the HiveServer2 UI; set hive.server2.idle.session.timeout",
        )

        async_queue = self.all("hive/hiveserver2/exec_async_queue_size")
        self.emit(
            "HiveServer2 async queue",
            warning=async_queue > self.w("hive_hiveserver2_async_queue"),
            critical=async_queue > self.c("hive_hiveserver2_async_queue"),
            description="Queries wait in HiveServer2's queue; when it is full they are rejected",
            action="See which queries run long in the HiveServer2 UI; raise hive.server2.async.exec.threads for load",
        )
