"""The simulator produces exactly what docs/metrics.md promises the monitors."""

from __future__ import annotations

import re

from khp.simulator import METRIC_PATHS, PROGRAMS, Fault, Fleet, simulate
from khp.store import Store, matches

from .conftest import AT, ROOT

CATALOG = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
JVM_TEMPLATE = "<service>/<role>/"


def catalog_paths() -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", CATALOG, flags=re.MULTILINE))


def catalog_programs() -> set[str]:
    section = CATALOG[CATALOG.index("Processes (Supervisor program names") :]
    return {name for name in re.findall(r"`([a-z]+-[a-z0-9]+)`", section)}


def expected_paths() -> set[str]:
    """The catalog's paths with ``<service>/<role>/jvm.*`` spelled out for every JVM program."""
    paths = set()
    for path in catalog_paths():
        if path.startswith(JVM_TEMPLATE):
            name = path[len(JVM_TEMPLATE) :]
            paths.update(f"{p.service}/{p.role}/{name}" for p in PROGRAMS.values() if p.jvm)
        else:
            paths.add(path)
    return paths


def test_the_catalog_is_parsed() -> None:
    assert len(catalog_paths()) == 79
    assert "kudu/tserver/server.tablets_num_running" in catalog_paths()
    assert "<service>/<role>/jvm.gc_time_ms" in catalog_paths()


def test_every_catalog_path_is_produced_and_nothing_else(store: Store) -> None:
    simulate(store, Fleet(clusters=10, seed=2), AT - 120, AT)

    assert set(store.metric_paths()) == expected_paths()
    assert expected_paths() == METRIC_PATHS


def test_every_jvm_program_reports_heap_and_gc_on_every_host() -> None:
    fleet = Fleet(clusters=10, seed=2, fault_rate=0)
    batch = fleet.rows_at(AT)
    reported = {(r.host, r.path) for r in batch.metrics}
    for cluster in fleet.clusters:
        for host in cluster.hosts:
            for program in (PROGRAMS[p] for p in host.programs if PROGRAMS[p].jvm):
                assert (host.name, f"{program.service}/{program.role}/jvm.heap_used_percent") in reported
                assert (host.name, f"{program.service}/{program.role}/jvm.gc_time_ms") in reported


def test_the_programs_are_the_catalogs() -> None:
    assert set(PROGRAMS) == catalog_programs()


def test_regionservers_write_info_noise_and_slow_or_large_responses() -> None:
    fleet = Fleet(
        clusters=3,
        seed=2,
        fault_rate=0,
        faults=[
            Fault("hbase_slow_responses", "hadoop-001", AT - 600, 600, "hadoop-001-dn002", intensity=1.0),
        ],
    )
    lines = [line for line in fleet.rows_at(AT, since=AT - 600).logs if line.service == "hbase"]

    assert {(line.service, line.role) for line in lines} == {("hbase", "regionserver")}
    slow = [line for line in lines if matches("responseToo*", line.message)]
    assert {line.level for line in slow} == {"WARN"}
    assert all(line.message.startswith("ipc.RpcServer: (responseToo") for line in slow)
    assert any("(responseTooSlow): {" in line.message for line in slow)
    assert any("(responseTooLarge): {" in line.message for line in slow)
    info = [line for line in lines if line.level == "INFO"]
    assert len(info) > 100
    assert not any(matches("responseToo*", line.message) for line in info)


def test_the_logs_come_from_regionservers_zookeeper_servers_and_every_kernel() -> None:
    fleet = Fleet(clusters=5, seed=2, fault_rate=0)
    lines = fleet.rows_at(AT, since=AT - 3600).logs
    writers = {(line.service, line.role): set() for line in lines}
    for line in lines:
        writers[(line.service, line.role)].add(line.host)

    assert set(writers) == {("hbase", "regionserver"), ("zookeeper", "server"), ("host", "kernel")}
    zookeepers = {h.name for c in fleet.clusters for h in c.hosts_running("zookeeper-server")}
    assert writers[("zookeeper", "server")] <= zookeepers
    assert len(writers[("host", "kernel")]) > 20  # every host has a kernel, and it speaks now and then
    healthy_kernel = [line.message for line in lines if line.service == "host"]
    assert not any(matches("Remounting", m) or matches("blk_update_request", m) for m in healthy_kernel)


def test_faults_write_fsync_warnings_and_kernel_disk_errors() -> None:
    fleet = Fleet(
        clusters=5,
        seed=2,
        fault_rate=0,
        faults=[
            Fault("zookeeper_slow_disk", "kafka-005", AT - 600, 1200, "kafka-005-zk1", intensity=1.0),
            Fault("filesystem_read_only", "kudu-004", AT - 600, 1200, "kudu-004-tserver002"),
            Fault("disk_io_errors", "kudu-004", AT - 600, 1200, "kudu-004-tserver003", intensity=0.5),
        ],
    )
    lines = fleet.rows_at(AT, since=AT - 600).logs

    def on(host: str, word: str) -> list[str]:
        return [line.message for line in lines if line.host == host and matches(word, line.message)]

    fsyncs = on("kafka-005-zk1", "fsync")
    assert len(fsyncs) >= 55  # six a minute
    assert all(" took " in m and "ms which will adversely effect operation latency" in m for m in fsyncs)
    assert on("kudu-004-tserver002", "Remounting") == [on("kudu-004-tserver002", "Remounting")[0]]  # once
    assert on("kudu-004-tserver002", "Remounting")[0].endswith("): Remounting filesystem read-only")
    assert len(on("kudu-004-tserver003", "blk_update_request")) >= 55
