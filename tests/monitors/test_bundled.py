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
# path: (hosts reporting it, healthy value, sick value)
METRICS = {
    "host/os/cpu.user": (EVERY, 30, 80),
    "host/os/cpu.system": (EVERY, 10, 15),
    "host/os/disk.free_percent": (EVERY, 50, 3),
    "host/os/memory.used_percent": (EVERY, 60, 98),
    "kudu/tserver/server.tablets_num_running": (WORKERS, 800, 2500),
    "kudu/tserver/server.tablets_num_failed": (WORKERS, 0, 2),
    "druid/overlord/taskSlot.used.count": (MASTERS, 20, 95),
    "druid/overlord/taskSlot.total.count": (MASTERS, 100, 100),
    "druid/coordinator/segment.unavailable.count": (MASTERS, 0, 12),
    "druid/historical/segment.usedPercent": (WORKERS, 40, 90),
    "hdfs/namenode/CapacityUsed": (MASTERS, 400, 950),
    "hdfs/namenode/CapacityTotal": (MASTERS, 1000, 1000),
    "hdfs/namenode/MissingBlocks": (MASTERS, 0, 3),
    "hdfs/namenode/CorruptBlocks": (MASTERS, 0, 3),
    "hdfs/namenode/NumDeadDataNodes": (MASTERS, 0, 1),
    "hdfs/namenode/jvm.heap_used_percent": (MASTERS, 50, 90),
    "yarn/resourcemanager/NumUnhealthyNMs": (MASTERS, 0, 1),
    "yarn/resourcemanager/NumLostNMs": (MASTERS, 0, 1),
    "yarn/resourcemanager/AppsPending": (MASTERS, 5, 300),
    "hbase/master/ritCount": (MASTERS, 0, 40),
    "hbase/master/ritCountOverThreshold": (MASTERS, 0, 2),
    "hbase/regionserver/compactionQueueLength": (WORKERS, 2, 300),
    "hbase/regionserver/jvm.gc_time_ms": (WORKERS, 500, 9000),
    "zookeeper/server/outstanding_requests": (WORKERS, 0, 500),
    "kafka/broker/UnderReplicatedPartitions": (WORKERS, 0, 4),
    "kafka/controller/OfflinePartitionsCount": (("w1",), 0, 2),
    "kafka/controller/ActiveControllerCount": (("w1",), 1, 0),
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
                found.setdefault(file.stem, set()).add(node.args[0].value)
    return found


def fleet(sick: bool) -> list:
    rows: list = []
    for path, (hosts, healthy, bad) in METRICS.items():
        rows += [metric(path, bad if sick else healthy, cluster=CLUSTER, host=host) for host in hosts]
    rows += [metric("kafka/controller/ActiveControllerCount", 0, cluster=CLUSTER, host=h) for h in ("w2", "w3")]
    rows += [metric("kafka/controller/OfflinePartitionsCount", 0, cluster=CLUSTER, host=h) for h in ("w2", "w3")]
    for hosts, names in ((MASTERS, MASTER_PROCESSES), (WORKERS, WORKER_PROCESSES)):
        for host in hosts:
            for name in names:
                state = SICK_PROCESSES.get((host, name), "RUNNING") if sick else "RUNNING"
                if state is not None:
                    rows.append(process(name, state, cluster=CLUSTER, host=host))
    if sick:  # w4 went quiet: seen this morning, no process state since
        rows += [process(name, cluster=CLUSTER, host="w4", ago="3h") for name in ("hdfs-datanode", "yarn-nodemanager")]
    message = "ipc.RpcServer: (responseTooSlow): {...}"
    rows += [log("hbase/regionserver/x", message, cluster=CLUSTER, host="w1") for _ in range(60 if sick else 5)]
    return rows


FLEET_CLUSTERS = {CLUSTER: ClusterSetup(hosts={"w1": ["hdfs/datanode", "hdfs/journalnode", "khp/agent"]})}


def test_every_bundled_module_loads_with_the_shipped_config(shipped):
    monitors = discover_monitors(shipped)
    modules = {m.__module__.rsplit(".", 1)[-1] for m in monitors}
    assert modules == {"druid", "hbase", "hdfs", "host", "kafka", "kudu", "processes", "yarn", "zookeeper"}
    for monitor in monitors:
        assert monitor.monitor_name().endswith("Monitor")
        doc = monitor.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), f"{monitor.monitor_name()} needs a one-line docstring"


def test_at_least_twenty_checks_in_at_least_eight_modules():
    checks = emitted()
    assert len(checks) >= 8
    assert len(set().union(*checks.values())) >= 20


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
    assert {p.check for p in problems if p.severity == "critical"} == {
        "Active controller",
        "Disk space low",
        "HDFS capacity",
        "Memory usage",
        "Missing blocks",
        "Offline partitions",
        "Task slot usage",
        "ZooKeeper quorum at risk",
    }


def test_module_sources_stay_short():
    for file in BUNDLED_DIR.glob("[!_]*.py"):
        assert len(Path(file).read_text(encoding="utf-8").splitlines()) < 120, file.name


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
