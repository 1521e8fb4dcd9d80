"""HDFS: capacity, missing and corrupt blocks, dead DataNodes, NameNode heap."""

from evaluator import Monitor


class HdfsMonitor(Monitor):
    """HDFS health as the NameNodes report it."""

    thresholds = {
        "hdfs_capacity_used_percent": {
            "warning": 80,
            "critical": 90,
            "meaning": "DFS used, percent of configured capacity",
        },
        "hdfs_missing_blocks": {"warning": None, "critical": 0, "meaning": "blocks with no live replica"},
        "hdfs_corrupt_blocks": {"warning": 0, "critical": None, "meaning": "blocks with corrupt replicas"},
        "hdfs_dead_datanodes": {"warning": 0, "critical": 2, "meaning": "DataNodes the NameNode counts as dead"},
        "hdfs_namenode_heap_used_percent": {
            "warning": 85,
            "critical": 95,
            "meaning": "NameNode JVM heap used, percent",
        },
    }

    def run(self) -> None:
        # Both NameNodes of an HA pair report these; the larger value per cluster is the truth.
        used_percent = self.max("hdfs/namenode/CapacityUsed") / self.max("hdfs/namenode/CapacityTotal") * 100
        self.emit(
            "HDFS capacity",
            warning=used_percent > self.w("hdfs_capacity_used_percent"),
            critical=used_percent > self.c("hdfs_capacity_used_percent"),
            description="HDFS capacity used above threshold",
        )

        missing = self.max("hdfs/namenode/MissingBlocks")
        self.emit(
            "Missing blocks",
            warning=missing > self.w("hdfs_missing_blocks"),
            critical=missing > self.c("hdfs_missing_blocks"),
            description="Blocks with no live replica; their files cannot be read",
        )

        corrupt = self.max("hdfs/namenode/CorruptBlocks")
        self.emit(
            "Corrupt blocks",
            warning=corrupt > self.w("hdfs_corrupt_blocks"),
            critical=corrupt > self.c("hdfs_corrupt_blocks"),
            description="Blocks with corrupt replicas",
        )

        dead = self.max("hdfs/namenode/NumDeadDataNodes")
        self.emit(
            "Dead DataNodes",
            warning=dead > self.w("hdfs_dead_datanodes"),
            critical=dead > self.c("hdfs_dead_datanodes"),
            description="DataNodes the NameNode considers dead",
        )

        heap = self.all("hdfs/namenode/jvm.heap_used_percent")
        self.emit(
            "NameNode heap usage",
            warning=heap > self.w("hdfs_namenode_heap_used_percent"),
            critical=heap > self.c("hdfs_namenode_heap_used_percent"),
            description="NameNode heap nearly full; long GC pauses ahead",
        )
