"""For every bundled check, a simulated fault that makes exactly that check fire.

``PLANTED[check]`` says which fault to plant where; the faults last 30 minutes and are 15
minutes old at the evaluation (``NodeManager missing`` needs a NodeManager never seen in the
inventory's day, so its fault began two days before). ``cluster_file`` plants a cluster file
listing every host's roles, as ``Role missing`` needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from khp.simulator import Fault

from .conftest import AT

FLEET_SIZE = 5  # hadoop-001, druid-002, hadoop-003, kudu-004, kafka-005


@dataclass(frozen=True)
class Plant:
    kind: str
    cluster: str
    host: str | None = None  # the part after the cluster's name: "dn002"
    program: str | None = None
    intensity: float = 0.6
    age: float = 900.0
    duration: float = 1800.0
    cluster_file: bool = False

    @property
    def host_name(self) -> str | None:
        return f"{self.cluster}-{self.host}" if self.host else None

    def fault(self) -> Fault:
        start = AT - self.age
        return Fault(self.kind, self.cluster, start, self.duration, self.host_name, self.program, self.intensity)


H, D, K, KA = "hadoop-001", "druid-002", "kudu-004", "kafka-005"

PLANTED: dict[str, Plant] = {
    # host
    "CPU usage": Plant("cpu_spike", H, "dn002"),
    "Load average": Plant("load_high", K, "tserver001"),
    "Disk space low": Plant("disk_full", H, "dn001"),
    "Inodes low": Plant("inodes_exhausted", D, "data001"),
    "Memory usage": Plant("memory_pressure", H, "dn003"),
    "Clock offset": Plant("clock_drift", KA, "broker01"),
    "Read-only file system": Plant("filesystem_read_only", H, "dn004"),
    "Disk I/O errors": Plant("disk_io_errors", K, "tserver002"),
    # jvm
    "JVM heap usage": Plant("jvm_heap_pressure", KA, "broker02"),
    "JVM GC time": Plant("jvm_gc_pressure", D, "data002"),
    # hdfs
    "HDFS capacity": Plant("hdfs_capacity_high", H),
    "Missing blocks": Plant("hdfs_missing_blocks", H),
    "Corrupt blocks": Plant("hdfs_corrupt_blocks", H),
    "Under-replicated blocks": Plant("hdfs_under_replicated", H),
    "Dead DataNodes": Plant("datanode_dead", H, "dn006"),
    "Stale DataNodes": Plant("datanode_stale", H),
    "Volume failures": Plant("datanode_volume_failure", H),
    "NameNode heap usage": Plant("namenode_heap_pressure", H, "master1"),
    "NameNode safe mode": Plant("namenode_safemode", H),
    "NameNode HA state": Plant("namenode_ha_lost", H, intensity=0.2),
    "NameNode RPC queue time": Plant("namenode_rpc_congestion", H, "master2"),
    "Checkpoint age": Plant("checkpoint_stalled", H),
    "JournalNode lag": Plant("journalnode_lagging", H, "master3"),
    "JournalNode sync latency": Plant("journalnode_slow_disk", H, "master1"),
    "DataNode transfer threads": Plant("datanode_xceivers_exhausted", H, "dn007"),
    "DataNode heartbeat latency": Plant("datanode_slow_heartbeats", H, "dn008"),
    # yarn
    "Unhealthy NodeManagers": Plant("yarn_unhealthy_nodemanagers", H),
    "Lost NodeManagers": Plant("yarn_lost_nodemanagers", H),
    "Pending applications": Plant("yarn_pending_apps", H),
    "ResourceManager HA state": Plant("resourcemanager_ha_lost", H, intensity=0.8),
    "Pending containers": Plant("yarn_pending_containers", H),
    "Root queue usage": Plant("yarn_queue_full", H),
    "NodeManager bad local dirs": Plant("nodemanager_bad_dirs", H, "dn009"),
    # hbase
    "Regions in transition": Plant("hbase_regions_in_transition", H),
    "Regions stuck in transition": Plant("hbase_regions_stuck", H),
    "Dead RegionServers": Plant("hbase_dead_regionservers", H),
    "No active HBase master": Plant("hbase_no_active_master", H),
    "Compaction queue": Plant("hbase_compaction_backlog", H, "dn010"),
    "Flush queue": Plant("hbase_flush_backlog", H, "dn011"),
    "RPC call queue": Plant("hbase_call_queue_backlog", H, "dn012"),
    "Regions per RegionServer": Plant("hbase_region_imbalance", H, "dn013"),
    "RegionServer GC time": Plant("regionserver_gc_pressure", H, "dn014"),
    "Slow or large responses": Plant("hbase_slow_responses", H, "dn015"),
    # kafka
    "Under-replicated partitions": Plant("kafka_under_replicated", KA),
    "Offline partitions": Plant("kafka_offline_partitions", KA),
    "Active controller": Plant("kafka_no_controller", KA),
    "ISR shrinks": Plant("kafka_isr_shrinking", KA),
    "Request handlers busy": Plant("kafka_request_handlers_busy", KA, "broker01"),
    "Network processors busy": Plant("kafka_network_threads_busy", KA, "broker02"),
    "Unclean leader elections": Plant("kafka_unclean_election", KA),
    "Offline log directories": Plant("kafka_log_dir_failed", KA, "broker03"),
    # zookeeper
    "ZooKeeper quorum at risk": Plant("zookeeper_down", KA, "zk2", intensity=0.2),
    "No ZooKeeper leader": Plant("zookeeper_no_leader", KA),
    "Outstanding requests": Plant("zookeeper_overloaded", KA, "zk1"),
    "ZooKeeper latency": Plant("zookeeper_slow", KA, "zk2"),
    "ZooKeeper file descriptors": Plant("zookeeper_fd_leak", KA, "zk3"),
    "Slow fsync": Plant("zookeeper_slow_disk", KA, "zk1"),
    # kudu
    "Too many tablets": Plant("kudu_too_many_tablets", K, "tserver001"),
    "Failed tablets": Plant("kudu_failed_tablets", K, "tserver002"),
    "Tablets bootstrapping": Plant("kudu_slow_bootstrap", K, "tserver003"),
    "Data directories failed": Plant("kudu_data_dir_failed", K, "tserver004"),
    "Data directories full": Plant("kudu_data_dir_full", K, "tserver005"),
    "Hybrid clock error": Plant("kudu_clock_unsynced", K, "tserver006"),
    # druid
    "Task slot usage": Plant("druid_slots_full", D),
    "Pending tasks": Plant("druid_tasks_pending", D),
    "Failed tasks": Plant("druid_tasks_failing", D),
    "Unavailable segments": Plant("druid_unavailable_segments", D),
    "Segment cache usage": Plant("druid_historical_full", D, "data003"),
    "No coordinator leader": Plant("druid_no_coordinator_leader", D),
    "No overlord leader": Plant("druid_no_overlord_leader", D),
    "Failed queries": Plant("druid_queries_failing", D),
    "Kafka ingestion lag": Plant("druid_ingestion_lag", D),
    # hive
    "Metastore connections": Plant("hive_metastore_connections", H, "master1"),
    "Metastore slow calls": Plant("hive_metastore_slow", H, "master2"),
    "HiveServer2 sessions": Plant("hiveserver2_sessions_exhausted", H, "master1"),
    "HiveServer2 async queue": Plant("hiveserver2_queue_full", H, "master2"),
    # trino
    "Trino workers lost": Plant("trino_workers_inactive", H),
    "Trino queued queries": Plant("trino_queries_queued", H),
    "Trino internal failures": Plant("trino_internal_failures", H),
    "Trino memory blocked": Plant("trino_memory_blocked", H),
    # processes
    "Process FATAL": Plant("process_crash", H, "dn016", "trino-worker", intensity=0.9),
    "Process BACKOFF": Plant("process_crash", D, "broker01", "druid-broker", intensity=0.1),
    "Process EXITED": Plant("process_exited", K, "master1", "kudu-master"),
    "Supervisor unreachable": Plant("supervisor_down", KA, "broker03"),
    "Host silent": Plant("host_silent", K, "tserver007"),
    "Role missing": Plant("program_removed", H, "dn017", "hbase-regionserver", cluster_file=True),
    "NodeManager missing": Plant(
        "program_removed", H, "dn018", "yarn-nodemanager", age=2 * 86400.0, duration=3 * 86400.0
    ),
}

# What a scheduled fault of each kind raises when nothing else hides it (on the embedded store).
EXPECTED: dict[str, set[str]] = {}
for _check, _plant in PLANTED.items():
    EXPECTED.setdefault(_plant.kind, set()).add(_check)
EXPECTED["supervisor_down"].add("Host silent")  # stored process states cannot say "did not answer"
EXPECTED["zookeeper_down"].add("Process FATAL")  # from intensity 0.5 the server is FATAL, not STOPPED
