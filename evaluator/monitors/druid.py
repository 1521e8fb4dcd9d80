"""Druid: task slots and tasks, segments, leadership, broker query failures, Kafka ingestion lag.

Paths are Druid's metric names with ``/`` written as ``.`` (``task/pending/count`` is
``task.pending.count``); counts are per emission period (one minute). ``isLeader`` is the
coordinator's and overlord's ``/isLeader`` answer as a gauge: 1 on the leader.
"""

from evaluator import Monitor


class DruidMonitor(Monitor):
    """Druid task slots, segment availability, leadership and ingestion."""

    thresholds = {
        "druid_slot_used_percent": {
            "warning": 80,
            "critical": 90,
            "meaning": "overlord task slots used, percent of total",
        },
        "druid_pending_tasks": {"warning": 20, "critical": None, "meaning": "tasks waiting for a slot"},
        "druid_failed_tasks": {"warning": 2, "critical": 10, "meaning": "tasks failed in the last minute"},
        "druid_unavailable_segments": {
            "warning": 0,
            "critical": 100,
            "meaning": "segments not served by any historical",
        },
        "druid_segment_cache_used_percent": {
            "warning": 85,
            "critical": 95,
            "meaning": "historical segment cache used, percent of max size",
        },
        "druid_failed_queries": {
            "warning": 10,
            "critical": 100,
            "meaning": "failed queries in the last minute, sum over brokers",
        },
        "druid_kafka_lag": {
            "warning": 1000000,
            "critical": 10000000,
            "meaning": "Kafka ingestion lag, messages, all supervisors",
        },
    }

    def run(self) -> None:
        # Overlords run as an HA pair and both report: take the larger value per cluster.
        slot_used_percent = (
            self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
        )
        self.emit(
            "Task slot usage",
            warning=slot_used_percent > self.w("druid_slot_used_percent"),
            critical=slot_used_percent > self.c("druid_slot_used_percent"),
            description="Task slot usage above threshold",
            action="Look for tasks that run far too long (overlord console); add middleManager capacity if it is load",
        )

        pending_tasks = self.max("druid/overlord/task.pending.count")
        self.emit(
            "Pending tasks",
            warning=pending_tasks > self.w("druid_pending_tasks"),
            critical=pending_tasks > self.c("druid_pending_tasks"),
            description="Tasks wait for a free slot; ingestion and compaction fall behind",
            action="Check the task slot usage and for stuck tasks; lower compaction task slots if they crowd ingestion",
        )

        failed_tasks = self.max("druid/overlord/task.failed.count")
        self.emit(
            "Failed tasks",
            warning=failed_tasks > self.w("druid_failed_tasks"),
            critical=failed_tasks > self.c("druid_failed_tasks"),
            description="Ingestion or compaction tasks are failing",
            action="Open a failed task's report and log in the overlord console; errors often repeat per datasource",
        )

        unavailable = self.max("druid/coordinator/segment.unavailable.count")
        self.emit(
            "Unavailable segments",
            warning=unavailable > self.w("druid_unavailable_segments"),
            critical=unavailable > self.c("druid_unavailable_segments"),
            description="Segments not loaded on any historical; queries miss data",
            action="Check that the historicals are up and have room; then the deep storage they load from",
        )

        cache = self.all("druid/historical/segment.usedPercent")
        self.emit(
            "Segment cache usage",
            warning=cache > self.w("druid_segment_cache_used_percent"),
            critical=cache > self.c("druid_segment_cache_used_percent"),
            description="Historical segment cache nearly full; new segments cannot load",
            action="Add historical capacity or drop old data with retention rules; check the tier's balance",
        )

        # A leader that stopped reporting keeps its last value in a long window: look at two minutes.
        coordinator_leaders = self.sum("druid/coordinator/isLeader", window="2m")
        self.emit(
            "No coordinator leader",
            critical=coordinator_leaders < 1,
            description="No Druid coordinator leads: segments are neither loaded nor balanced",
            action="Check the coordinators' ZooKeeper or metadata store connection in their logs; restart one",
        )

        overlord_leaders = self.sum("druid/overlord/isLeader", window="2m")
        self.emit(
            "No overlord leader",
            critical=overlord_leaders < 1,
            description="No Druid overlord leads: no task is assigned, ingestion stops",
            action="Check the overlords' ZooKeeper or metadata store connection in their logs; restart one",
        )

        failed_queries = self.sum("druid/broker/query.failed.count")
        self.emit(
            "Failed queries",
            warning=failed_queries > self.w("druid_failed_queries"),
            critical=failed_queries > self.c("druid_failed_queries"),
            description="Brokers fail many queries",
            action="Read the brokers' request logs for the errors; look for historicals timing out or out of memory",
        )

        kafka_lag = self.max("druid/overlord/ingest.kafka.lag")
        self.emit(
            "Kafka ingestion lag",
            warning=kafka_lag > self.w("druid_kafka_lag"),
            critical=kafka_lag > self.c("druid_kafka_lag"),
            description="Kafka ingestion falls behind; recent data is missing from queries",
            action="Check the supervisors' task count and failed tasks; raise taskCount if partitions allow",
        )
