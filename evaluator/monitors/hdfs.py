"""HDFS: blocks, capacity, DataNodes, NameNode HA, safe mode, RPC and checkpoints, JournalNodes.

Paths are the JMX attribute names of the NameNode's FSNamesystem, FSNamesystemState,
NameNodeInfo and RpcActivity beans, the JournalNode's Journal bean and the DataNode's
DataNodeInfo and DataNodeActivity beans. ``HAState.active`` is FSNamesystem's ``tag.HAState``
as a gauge (1 on the active NameNode, 0 on a standby) and ``Safemode`` NameNodeInfo's
``Safemode`` (1 when the text is not empty).
"""

from evaluator import Monitor


class HdfsMonitor(Monitor):
    """HDFS health as the NameNodes, JournalNodes and DataNodes report it."""

    thresholds = {
        "hdfs_capacity_used_percent": {
            "warning": 80,
            "critical": 90,
            "meaning": "DFS used, percent of configured capacity",
        },
        "hdfs_missing_blocks": {"warning": None, "critical": 0, "meaning": "blocks with no live replica"},
        "hdfs_corrupt_blocks": {"warning": 0, "critical": None, "meaning": "blocks with corrupt replicas"},
        "hdfs_under_replicated_blocks": {
            "warning": 1000,
            "critical": None,
            "meaning": "blocks with fewer replicas than their replication factor",
        },
        "hdfs_dead_datanodes": {"warning": 0, "critical": 2, "meaning": "DataNodes the NameNode counts as dead"},
        "hdfs_stale_datanodes": {"warning": 0, "critical": None, "meaning": "DataNodes whose heartbeats are late"},
        "hdfs_volume_failures": {"warning": 0, "critical": None, "meaning": "failed DataNode volumes, whole cluster"},
        "hdfs_namenode_heap_used_percent": {
            "warning": 85,
            "critical": 95,
            "meaning": "NameNode JVM heap used, percent",
        },
        "hdfs_safemode": {
            "warning": 0,
            "critical": 0,
            "meaning": "1 per NameNode in safe mode (critical only on the active one)",
        },
        "hdfs_rpc_queue_time_ms": {
            "warning": 100,
            "critical": 1000,
            "meaning": "NameNode client RPC queue time, average ms",
        },
        "hdfs_checkpoint_age_hours": {
            "warning": 6,
            "critical": 24,
            "meaning": "hours since the last checkpoint of the namespace",
        },
        "hdfs_journal_lag_txns": {
            "warning": 10000,
            "critical": None,
            "meaning": "transactions a JournalNode is behind the writer",
        },
        "hdfs_journal_sync_ms": {
            "warning": 1000,
            "critical": 10000,
            "meaning": "JournalNode edit sync time, 99th percentile over a minute, ms",
        },
        "hdfs_datanode_xceivers": {
            "warning": 3000,
            "critical": 3900,
            "meaning": "DataNode transfer threads in use (dfs.datanode.max.transfer.threads is 4096)",
        },
        "hdfs_datanode_heartbeat_ms": {
            "warning": 1000,
            "critical": 10000,
            "meaning": "DataNode heartbeat round trip to the NameNode, average ms",
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
            action="Find the largest directories (hdfs dfs -du -h /); expire old data or trash, or add DataNodes",
        )

        missing = self.max("hdfs/namenode/MissingBlocks")
        self.emit(
            "Missing blocks",
            warning=missing > self.w("hdfs_missing_blocks"),
            critical=missing > self.c("hdfs_missing_blocks"),
            description="Blocks with no live replica; their files cannot be read",
            action="Bring back dead DataNodes first; then list the files (hdfs fsck / -list-corruptfileblocks)",
        )

        corrupt = self.max("hdfs/namenode/CorruptBlocks")
        self.emit(
            "Corrupt blocks",
            warning=corrupt > self.w("hdfs_corrupt_blocks"),
            critical=corrupt > self.c("hdfs_corrupt_blocks"),
            description="Blocks with corrupt replicas",
            action="List them (hdfs fsck / -list-corruptfileblocks); a good replica is re-replicated by itself",
        )

        under_replicated = self.max("hdfs/namenode/UnderReplicatedBlocks")
        self.emit(
            "Under-replicated blocks",
            warning=under_replicated > self.w("hdfs_under_replicated_blocks"),
            critical=under_replicated > self.c("hdfs_under_replicated_blocks"),
            description="Blocks below their replication factor; one more loss may lose data",
            action="Check for dead or decommissioning DataNodes; watch that the count falls as HDFS re-replicates",
        )

        dead = self.max("hdfs/namenode/NumDeadDataNodes")
        self.emit(
            "Dead DataNodes",
            warning=dead > self.w("hdfs_dead_datanodes"),
            critical=dead > self.c("hdfs_dead_datanodes"),
            description="DataNodes the NameNode considers dead",
            action="List them (hdfs dfsadmin -report -dead); restart the DataNode or take the host out for repair",
        )

        stale = self.max("hdfs/namenode/NumStaleDataNodes")
        self.emit(
            "Stale DataNodes",
            warning=stale > self.w("hdfs_stale_datanodes"),
            critical=stale > self.c("hdfs_stale_datanodes"),
            description="DataNodes whose heartbeats are late; reads avoid them",
            action="Look at those DataNodes' GC pauses and network; a stale node often turns dead next",
        )

        volume_failures = self.max("hdfs/namenode/VolumeFailuresTotal")
        self.emit(
            "Volume failures",
            warning=volume_failures > self.w("hdfs_volume_failures"),
            critical=volume_failures > self.c("hdfs_volume_failures"),
            description="DataNode disks have failed and were taken out of service",
            action="Find the volumes (NameNode UI, Datanode Volume Failures); replace the disks, restart the DataNodes",
        )

        heap = self.all("hdfs/namenode/jvm.heap_used_percent")
        self.emit(
            "NameNode heap usage",
            warning=heap > self.w("hdfs_namenode_heap_used_percent"),
            critical=heap > self.c("hdfs_namenode_heap_used_percent"),
            description="NameNode heap nearly full; long GC pauses ahead",
            action="Check the file and block counts against the heap; plan a larger heap or fewer small files",
        )

        safemode = self.all("hdfs/namenode/Safemode")
        active = self.all("hdfs/namenode/HAState.active")
        self.emit(
            "NameNode safe mode",
            warning=safemode > self.w("hdfs_safemode"),
            critical=(safemode > self.c("hdfs_safemode")) & (active > 0),
            description="NameNode in safe mode: HDFS is read-only; critical on the active NameNode",
            action="Read why (hdfs dfsadmin -safemode get; NameNode log); leave it only once blocks are reported",
        )

        # A NameNode that stopped reporting keeps its last value in a long window: look at two minutes.
        actives = self.sum("hdfs/namenode/HAState.active", window="2m")
        self.emit(
            "NameNode HA state",
            critical=actives != 1,
            description="Not exactly one active NameNode: none (HDFS down) or two (split brain)",
            action="Ask both (hdfs haadmin -getAllServiceState); check the ZKFCs, then fail over by hand if needed",
        )

        rpc_queue = self.all("hdfs/namenode/RpcQueueTimeAvgTime")
        self.emit(
            "NameNode RPC queue time",
            warning=rpc_queue > self.w("hdfs_rpc_queue_time_ms"),
            critical=rpc_queue > self.c("hdfs_rpc_queue_time_ms"),
            description="Client calls wait long in the NameNode's RPC queue",
            action="Find the heaviest users in the audit log (top commands per user); look for GC pauses",
        )

        checkpoint_age_hours = (self.at - self.max("hdfs/namenode/LastCheckpointTime") / 1000) / 3600
        self.emit(
            "Checkpoint age",
            warning=checkpoint_age_hours > self.w("hdfs_checkpoint_age_hours"),
            critical=checkpoint_age_hours > self.c("hdfs_checkpoint_age_hours"),
            description="No recent checkpoint: edits pile up and a restart will take long",
            action="Read the standby NameNode's log for checkpoint errors; run hdfs dfsadmin -saveNamespace if stuck",
        )

        journal_lag = self.all("hdfs/journalnode/CurrentLagTxns")
        self.emit(
            "JournalNode lag",
            warning=journal_lag > self.w("hdfs_journal_lag_txns"),
            critical=journal_lag > self.c("hdfs_journal_lag_txns"),
            description="A JournalNode is behind the active NameNode's edits",
            action="Check the JournalNode's disk and network; restart it if it does not catch up",
        )

        journal_sync_ms = self.all("hdfs/journalnode/Syncs60s99thPercentileLatencyMicros") / 1000
        self.emit(
            "JournalNode sync latency",
            warning=journal_sync_ms > self.w("hdfs_journal_sync_ms"),
            critical=journal_sync_ms > self.c("hdfs_journal_sync_ms"),
            description="JournalNode edit syncs are slow; the NameNode aborts past 20 s",
            action="Check the JournalNode's edits disk (iostat -x); move the edits off a shared or failing disk",
        )

        xceivers = self.all("hdfs/datanode/XceiverCount")
        self.emit(
            "DataNode transfer threads",
            warning=xceivers > self.w("hdfs_datanode_xceivers"),
            critical=xceivers > self.c("hdfs_datanode_xceivers"),
            description="DataNode nearly out of transfer threads; reads and writes will fail",
            action="Find the clients holding many streams open; raise dfs.datanode.max.transfer.threads if it is load",
        )

        heartbeat_ms = self.all("hdfs/datanode/HeartbeatsAvgTime")
        self.emit(
            "DataNode heartbeat latency",
            warning=heartbeat_ms > self.w("hdfs_datanode_heartbeat_ms"),
            critical=heartbeat_ms > self.c("hdfs_datanode_heartbeat_ms"),
            description="DataNode heartbeats are slow; the NameNode will mark it stale",
            action="Look at the DataNode's GC pauses and the NameNode's RPC queue; then the network between them",
        )
