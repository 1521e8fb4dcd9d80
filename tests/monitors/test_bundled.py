"""The bundled monitors as a whole: they load with the shipped khp.yml, and on a fleet they fire as they should."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from evaluator import (
    BUNDLED_DIR,
    MONITOR_FAILED,
    MONITOR_TIMED_OUT,
    SOURCE_UNAVAILABLE,
    discover_monitors,
    threshold_keys,
)
from evaluator._discovery import monitors_in_directory
from evaluator.testing import ClusterSetup, log, metric, process

MASTERS = ("m1", "m2")
WORKERS = ("w1", "w2", "w3")
EVERY = MASTERS + WORKERS
MASTER_PROCESSES = (
    "hdfs-namenode",
    "yarn-resourcemanager",
    "hbase-master",
    "druid-overlord",
    "druid-coordinator",
    "kudu-master",
    "khp-agent",
)
WORKER_PROCESSES = (
    "zookeeper-server",
    "hdfs-datanode",
    "hdfs-journalnode",
    "yarn-nodemanager",
    "hbase-regionserver",
    "kafka-broker",
    "kudu-tserver",
    "druid-historical",
    "khp-agent",
)
AT = 1795946400.0  # DEFAULT_AT, 2026-11-29T10:00:00Z
# path: (hosts reporting it, healthy value, sick value)
METRICS = {
    "host/os/cpu.user": (EVERY, 30, 80),
    "host/os/cpu.system": (EVERY, 10, 15),
    "host/os/cpu.cores": (EVERY, 16, 16),
    "host/os/load.1m": (EVERY, 8, 80),
    "host/os/disk.free_percent": (EVERY, 50, 3),
    "host/os/disk.inodes_free_percent": (EVERY, 60, 2),
    "host/os/memory.used_percent": (EVERY, 60, 98),
    "host/os/clock.offset_ms": (EVERY, 1.5, -1500),
    "hdfs/datanode/jvm.heap_used_percent": (WORKERS, 50, 98),
    "kafka/broker/jvm.gc_time_ms": (WORKERS, 300, 40000),
    "kudu/tserver/server.tablets_num_running": (WORKERS, 800, 2500),
    "kudu/tserver/server.tablets_num_failed": (WORKERS, 0, 2),
    "kudu/tserver/server.tablets_num_bootstrapping": (WORKERS, 0, 5),
    "kudu/tserver/server.data_dirs_failed": (WORKERS, 0, 1),
    "kudu/tserver/server.data_dirs_full": (WORKERS, 0, 1),
    "kudu/tserver/server.hybrid_clock_error": (WORKERS, 200, 6e6),
    "druid/overlord/taskSlot.used.count": (MASTERS, 20, 95),
    "druid/overlord/taskSlot.total.count": (MASTERS, 100, 100),
    "druid/overlord/task.pending.count": (MASTERS, 2, 30),
    "druid/overlord/task.failed.count": (MASTERS, 0, 15),
    "druid/overlord/ingest.kafka.lag": (MASTERS, 1000, 2e7),
    "druid/coordinator/segment.unavailable.count": (MASTERS, 0, 12),
    "druid/historical/segment.usedPercent": (WORKERS, 40, 90),
    "druid/broker/query.failed.count": (WORKERS, 0, 40),
    "hdfs/namenode/CapacityUsed": (MASTERS, 400, 950),
    "hdfs/namenode/CapacityTotal": (MASTERS, 1000, 1000),
    "hdfs/namenode/MissingBlocks": (MASTERS, 0, 3),
    "hdfs/namenode/CorruptBlocks": (MASTERS, 0, 3),
    "hdfs/namenode/UnderReplicatedBlocks": (MASTERS, 3, 5000),
    "hdfs/namenode/NumDeadDataNodes": (MASTERS, 0, 1),
    "hdfs/namenode/NumStaleDataNodes": (MASTERS, 0, 1),
    "hdfs/namenode/VolumeFailuresTotal": (MASTERS, 0, 2),
    "hdfs/namenode/Safemode": (MASTERS, 0, 1),
    "hdfs/namenode/RpcQueueTimeAvgTime": (MASTERS, 2, 2000),
    "hdfs/namenode/LastCheckpointTime": (MASTERS, (AT - 1800) * 1000, (AT - 30 * 3600) * 1000),
    "hdfs/namenode/jvm.heap_used_percent": (MASTERS, 50, 90),
    "hdfs/journalnode/CurrentLagTxns": (WORKERS, 0, 20000),
    "hdfs/journalnode/Syncs60s99thPercentileLatencyMicros": (WORKERS, 5000, 15e6),
    "hdfs/datanode/XceiverCount": (WORKERS, 100, 4000),
    "hdfs/datanode/HeartbeatsAvgTime": (WORKERS, 3, 12000),
    "yarn/resourcemanager/NumUnhealthyNMs": (MASTERS, 0, 1),
    "yarn/resourcemanager/NumLostNMs": (MASTERS, 0, 1),
    "yarn/resourcemanager/AppsPending": (MASTERS, 5, 300),
    "yarn/resourcemanager/PendingContainers": (MASTERS, 10, 3000),
    "yarn/resourcemanager/AllocatedMB": (MASTERS, 400, 990),
    "yarn/resourcemanager/AvailableMB": (MASTERS, 600, 10),
    "yarn/nodemanager/BadLocalDirs": (WORKERS, 0, 1),
    "hbase/master/ritCount": (MASTERS, 0, 40),
    "hbase/master/ritCountOverThreshold": (MASTERS, 0, 2),
    "hbase/master/numDeadRegionServers": (MASTERS, 0, 2),
    "hbase/regionserver/compactionQueueLength": (WORKERS, 2, 300),
    "hbase/regionserver/flushQueueLength": (WORKERS, 1, 30),
    "hbase/regionserver/numCallsInGeneralQueue": (WORKERS, 2, 300),
    "hbase/regionserver/regionCount": (WORKERS, 200, 900),
    "hbase/regionserver/jvm.gc_time_ms": (WORKERS, 500, 9000),
    "zookeeper/server/outstanding_requests": (WORKERS, 0, 500),
    "zookeeper/server/avg_latency": (WORKERS, 2, 600),
    "zookeeper/server/open_file_descriptor_count": (WORKERS, 200, 63000),
    "zookeeper/server/max_file_descriptor_count": (WORKERS, 65536, 65536),
    "kafka/broker/UnderReplicatedPartitions": (WORKERS, 0, 4),
    "kafka/broker/IsrShrinksPerSec": (WORKERS, 0, 1),
    "kafka/broker/RequestHandlerAvgIdlePercent": (WORKERS, 0.8, 0.05),
    "kafka/broker/NetworkProcessorAvgIdlePercent": (WORKERS, 0.8, 0.2),
    "kafka/broker/OfflineLogDirectoryCount": (WORKERS, 0, 1),
    "kafka/controller/OfflinePartitionsCount": (("w1",), 0, 2),
    "kafka/controller/UncleanLeaderElectionsPerSec": (("w1",), 0, 0.5),
    "hive/metastore/open_connections": (MASTERS, 50, 960),
    "hive/metastore/api_get_table.99thPercentile": (MASTERS, 20, 6000),
    "hive/hiveserver2/hs2_open_sessions": (MASTERS, 30, 490),
    "hive/hiveserver2/exec_async_queue_size": (MASTERS, 0, 95),
    "trino/coordinator/InactiveNodeCount": (("m1",), 0, 2),
    "trino/coordinator/QueuedQueries": (("m1",), 1, 250),
    "trino/coordinator/InternalFailures.OneMinute.Count": (("m1",), 0, 60),
    "trino/coordinator/BlockedNodes": (("m1",), 0, 1),
}
# HA states: (the value per host when healthy, when sick). Sick: two active NameNodes, none of the rest.
LEADERS = {
    "hdfs/namenode/HAState.active": ({"m1": 1, "m2": 0}, {"m1": 1, "m2": 1}),
    "yarn/resourcemanager/HAState.active": ({"m1": 1, "m2": 0}, {"m1": 0, "m2": 0}),
    "hbase/master/isActiveMaster": ({"m1": 1, "m2": 0}, {"m1": 0, "m2": 0}),
    "druid/coordinator/isLeader": ({"m1": 1, "m2": 0}, {"m1": 0, "m2": 0}),
    "druid/overlord/isLeader": ({"m1": 1, "m2": 0}, {"m1": 0, "m2": 0}),
    "kafka/controller/ActiveControllerCount": ({"w1": 1, "w2": 0, "w3": 0}, {"w1": 0, "w2": 0, "w3": 0}),
    "zookeeper/server/server_state.leader": ({"w1": 1, "w2": 0, "w3": 0}, {"w1": 0, "w2": 0, "w3": 0}),
}
# What goes wrong with processes on the sick fleet: (host, process) -> state; None = no process at all.
SICK_PROCESSES = {
    ("w1", "zookeeper-server"): "FATAL",
    ("w2", "zookeeper-server"): "STOPPED",
    ("w1", "hbase-regionserver"): "BACKOFF",
    ("w2", "kafka-broker"): "EXITED",
    ("w1", "hdfs-journalnode"): None,
    ("w3", "yarn-nodemanager"): None,
}
# log pattern path, message, lines on w1 when healthy, when sick
LOGS = [
    ("hbase/regionserver/x", "ipc.RpcServer: (responseTooSlow): {...}", 5, 60),
    (
        "zookeeper/server/x",
        "persistence.FileTxnLog: fsync-ing the write ahead log in SyncThread:1 took 1342ms which will adversely effect"
        " operation latency.File size is 67108880 bytes. See the ZooKeeper troubleshooting guide",
        1,
        40,
    ),
    ("host/kernel/x", "EXT4-fs (sdc1): Remounting filesystem read-only", 0, 1),
    ("host/kernel/x", "blk_update_request: I/O error, dev sdc, sector 2384923 op 0x0:(READ) flags 0x0", 0, 120),
]
CLUSTER = "prod"


def emitted() -> dict[str, set[str]]:
    """Check names per bundled module, read from the ``self.emit("name", ...)`` calls in the sources."""
    found: dict[str, set[str]] = {}
    for file in sorted(BUNDLED_DIR.glob("[!_]*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit":
                assert isinstance(node.args[0], ast.Constant), f"{file.name}:{node.lineno}: name the check literally"
                keywords = {k.arg: k.value for k in node.keywords}
                description = keywords.get("description")
                assert isinstance(description, ast.Constant) and description.value, f"{file.name}:{node.lineno}"
                assert len(description.value) <= 90, f"{file.name}:{node.lineno}: keep descriptions short for chat"
                action = keywords.get("action")
                assert isinstance(action, ast.Constant) and action.value, f"{file.name}:{node.lineno}: say what to do"
                assert len(action.value) <= 110, f"{file.name}:{node.lineno}: keep the first action short for chat"
                found.setdefault(file.stem, set()).add(node.args[0].value)
    return found


def fleet(sick: bool) -> list:
    rows: list = []
    for path, (hosts, healthy, bad) in METRICS.items():
        rows += [metric(path, bad if sick else healthy, cluster=CLUSTER, host=host) for host in hosts]
    for path, values in LEADERS.items():
        rows += [metric(path, value, cluster=CLUSTER, host=host) for host, value in values[sick].items()]
    rows += [metric("kafka/controller/OfflinePartitionsCount", 0, cluster=CLUSTER, host=h) for h in ("w2", "w3")]
    rows += [metric("kafka/controller/UncleanLeaderElectionsPerSec", 0, cluster=CLUSTER, host=h) for h in ("w2", "w3")]
    for hosts, names in ((MASTERS, MASTER_PROCESSES), (WORKERS, WORKER_PROCESSES)):
        for host in hosts:
            for name in names:
                state = SICK_PROCESSES.get((host, name), "RUNNING") if sick else "RUNNING"
                if state is not None:
                    rows.append(process(name, state, cluster=CLUSTER, host=host))
    if sick:  # w4 went quiet: seen this morning, no process state since
        rows += [process(name, cluster=CLUSTER, host="w4", ago="3h") for name in ("hdfs-datanode", "yarn-nodemanager")]
    for path, message, healthy_lines, sick_lines in LOGS:
        rows += [log(path, message, cluster=CLUSTER, host="w1") for _ in range(sick_lines if sick else healthy_lines)]
    return rows


FLEET_CLUSTERS = {CLUSTER: ClusterSetup(hosts={"w1": ["hdfs/datanode", "hdfs/journalnode", "khp/agent"]})}


def test_every_bundled_module_loads_with_the_shipped_config(shipped):
    monitors = discover_monitors(shipped)
    modules = {m.__module__.rsplit(".", 1)[-1] for m in monitors}
    assert modules == {
        "druid",
        "hbase",
        "hdfs",
        "hive",
        "host",
        "jvm",
        "kafka",
        "kudu",
        "processes",
        "trino",
        "yarn",
        "zookeeper",
    }
    for monitor in monitors:
        assert monitor.monitor_name().endswith("Monitor")
        doc = monitor.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), f"{monitor.monitor_name()} needs a one-line docstring"


def test_at_least_seventy_five_checks_in_at_least_twelve_modules():
    checks = emitted()
    assert len(checks) >= 12
    names = [name for module in checks.values() for name in module]
    assert len(names) >= 75
    assert len(set(names)) == len(names), "a check name belongs to one module"


def test_khp_yml_defines_exactly_the_thresholds_the_monitors_use(shipped):
    used = set().union(*(threshold_keys(m) for m in discover_monitors(shipped)))
    assert used == set(shipped.thresholds)


def test_every_bundled_monitor_declares_and_explains_the_thresholds_it_uses():
    for monitor in monitors_in_directory(BUNDLED_DIR):
        declared = set(monitor.thresholds)
        assert threshold_keys(monitor) == declared, monitor.monitor_name()
        assert all(entry.get("meaning") for entry in monitor.thresholds.values()), monitor.monitor_name()


def test_khp_yml_has_the_documented_shape(shipped):
    root = Path(shipped.file).parent
    assert {shipped.sources.metrics.type, shipped.sources.logs.type, shipped.sources.processes.type} == {"embedded"}
    assert shipped.store.path == root / "var/khp.db"
    assert shipped.monitors == (root / "evaluator/monitors",)
    assert (shipped.evaluation.interval, shipped.evaluation.window, shipped.evaluation.pending) == (60, 600, 300)
    assert shipped.alertmanager.urls == ("http://127.0.0.1:9093",)


def test_example_cluster_files(shipped):
    assert sorted(shipped.clusters) == ["alpha", "beta", "gamma"]
    for cluster in shipped.clusters.values():
        assert cluster.channels["warning"] and cluster.channels["critical"]
        assert set(cluster.thresholds) <= set(shipped.thresholds)
    assert shipped.threshold("datanode_without_nodemanager", "beta", "warning") is None
    assert shipped.threshold("druid_slot_used_percent", "alpha", "warning") == 70
    assert shipped.threshold("druid_slot_used_percent", "alpha", "critical") == 90
    assert shipped.clusters["alpha"].pending == 600
    assert len(shipped.clusters["gamma"].hosts) == 8
    assert all(host.startswith("g-") for host in shipped.clusters["gamma"].hosts)


def test_a_healthy_fleet_raises_nothing(shipped, evaluate):
    problems = evaluate(discover_monitors(shipped), fleet(sick=False), clusters=FLEET_CLUSTERS)
    assert [p.summary() for p in problems] == []


def test_on_a_sick_fleet_every_bundled_check_fires(shipped, evaluate):
    unreachable = [(CLUSTER, "w5", "connection refused")]
    problems = evaluate(discover_monitors(shipped), fleet(sick=True), unreachable, clusters=FLEET_CLUSTERS)
    assert {p.check for p in problems} == set().union(*emitted().values())
    assert {p.cluster for p in problems} == {CLUSTER}
    assert not {p.check for p in problems} & {MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE}
    # Critical only for what needs someone now.
    assert {p.check for p in problems if p.severity == "critical"} == CRITICAL


# The checks with a critical level that the sick fleet reaches (the others warn only, or stay below).
CRITICAL = {
    "Active controller",
    "Checkpoint age",
    "Clock offset",
    "DataNode heartbeat latency",
    "DataNode transfer threads",
    "Disk I/O errors",
    "Disk space low",
    "Failed queries",
    "Failed tasks",
    "HDFS capacity",
    "HiveServer2 async queue",
    "HiveServer2 sessions",
    "Hybrid clock error",
    "Inodes low",
    "JVM GC time",
    "JVM heap usage",
    "JournalNode sync latency",
    "Kafka ingestion lag",
    "Load average",
    "Memory usage",
    "Metastore connections",
    "Metastore slow calls",
    "Missing blocks",
    "NameNode HA state",
    "NameNode RPC queue time",
    "NameNode safe mode",
    "No active HBase master",
    "No coordinator leader",
    "No overlord leader",
    "No ZooKeeper leader",
    "Offline partitions",
    "RPC call queue",
    "Request handlers busy",
    "ResourceManager HA state",
    "Slow fsync",
    "Task slot usage",
    "Trino internal failures",
    "Trino queued queries",
    "Unclean leader elections",
    "ZooKeeper file descriptors",
    "ZooKeeper latency",
    "ZooKeeper quorum at risk",
}


def test_module_sources_stay_short():
    for file in BUNDLED_DIR.glob("[!_]*.py"):
        assert len(Path(file).read_text(encoding="utf-8").splitlines()) < 250, file.name


def test_monitors_read_only_metrics_of_the_catalog(shipped):
    catalog = Path(shipped.file).parent / "docs" / "metrics.md"
    documented = re.findall(r"^\| `([^`]+)` \|", catalog.read_text(encoding="utf-8"), flags=re.MULTILINE)
    patterns = [re.compile(re.sub("<[a-z]+>", "[^/]+", re.escape(path))) for path in documented]
    read: set[str] = set()
    for file in BUNDLED_DIR.glob("[!_]*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("all", "max", "min", "sum", "avg", "count")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                read.add(node.args[0].value)
    assert [path for path in sorted(read) if not any(p.fullmatch(path) for p in patterns)] == []
    assert {p for p in documented if "<" not in p} <= read
