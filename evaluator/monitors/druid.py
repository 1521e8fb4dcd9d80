"""Druid: overlord task slots, segments the coordinator cannot serve, historical segment caches."""

from evaluator import Monitor


class DruidMonitor(Monitor):
    """Druid task slots and segment availability."""

    thresholds = {
        "druid_slot_used_percent": {
            "warning": 80,
            "critical": 90,
            "meaning": "overlord task slots used, percent of total",
        },
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
        )

        unavailable = self.max("druid/coordinator/segment.unavailable.count")
        self.emit(
            "Unavailable segments",
            warning=unavailable > self.w("druid_unavailable_segments"),
            critical=unavailable > self.c("druid_unavailable_segments"),
            description="Segments not loaded on any historical; queries miss data",
        )

        cache = self.all("druid/historical/segment.usedPercent")
        self.emit(
            "Segment cache usage",
            warning=cache > self.w("druid_segment_cache_used_percent"),
            critical=cache > self.c("druid_segment_cache_used_percent"),
            description="Historical segment cache nearly full; new segments cannot load",
        )
