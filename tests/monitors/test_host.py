"""HostMonitor: CPU as user + system, load per core, disk, memory, clock offset, kernel disk errors."""

from evaluator.monitors.host import HostMonitor
from evaluator.testing import ClusterSetup, log, metric

USER = "host/os/cpu.user"
SYSTEM = "host/os/cpu.system"
DISK = "host/os/disk.free_percent"
MEMORY = "host/os/memory.used_percent"


def cpu(user, system, cluster="alpha", host="h1"):
    return [metric(USER, user, cluster=cluster, host=host), metric(SYSTEM, system, cluster=cluster, host=host)]


def test_cpu_adds_user_and_system_time(check):
    # Neither 70% user nor 25% system is alarming alone; together the host is pegged.
    assert check(HostMonitor, cpu(70, 25)) == [("CPU usage", "warning", "alpha", "h1", 95.0, ">", 90.0)]


def test_cpu_below_threshold_together_is_fine(check):
    assert check(HostMonitor, cpu(80, 5) + cpu(45, 45, host="h2")) == []


def test_cpu_of_a_host_without_system_time_is_not_guessed(check):
    assert check(HostMonitor, [metric(USER, 99, host="h1")]) == []


def test_cpu_is_critical_where_a_cluster_sets_a_critical_level(check):
    rows = cpu(90, 9, cluster="alpha") + cpu(90, 9, cluster="gamma")
    clusters = {"gamma": ClusterSetup(thresholds={"host_cpu_percent": {"critical": 98}})}
    assert check(HostMonitor, rows, clusters) == [
        ("CPU usage", "warning", "alpha", "h1", 99.0, ">", 90.0),
        ("CPU usage", "critical", "gamma", "h1", 99.0, ">", 98.0),
        ("CPU usage", "warning", "gamma", "h1", 99.0, ">", 90.0),
    ]


def test_disk_space_low_fires_below_the_free_threshold(check):
    rows = [metric(DISK, 10, host="h1"), metric(DISK, 3, host="h2"), metric(DISK, 40, host="h3")]
    assert check(HostMonitor, rows) == [
        ("Disk space low", "warning", "alpha", "h1", 10.0, "<", 15.0),
        ("Disk space low", "critical", "alpha", "h2", 3.0, "<", 5.0),
        ("Disk space low", "warning", "alpha", "h2", 3.0, "<", 15.0),
    ]


def test_memory_usage(check):
    rows = [metric(MEMORY, 93, host="h1"), metric(MEMORY, 98, host="h2"), metric(MEMORY, 70, host="h3")]
    assert check(HostMonitor, rows) == [
        ("Memory usage", "warning", "alpha", "h1", 93.0, ">", 90.0),
        ("Memory usage", "critical", "alpha", "h2", 98.0, ">", 97.0),
        ("Memory usage", "warning", "alpha", "h2", 98.0, ">", 90.0),
    ]


def test_a_cluster_can_raise_and_null_host_thresholds(check):
    rows = [
        metric(MEMORY, 93, cluster="alpha", host="h1"),
        metric(MEMORY, 93, cluster="beta", host="h1"),
        metric(DISK, 10, cluster="alpha", host="h1"),
        metric(DISK, 10, cluster="beta", host="h1"),
    ]
    clusters = {
        "beta": ClusterSetup(thresholds={"host_memory_used_percent": {"warning": 95}, "host_disk_free_percent": None})
    }
    assert [(p[0], p[2]) for p in check(HostMonitor, rows, clusters)] == [
        ("Disk space low", "alpha"),
        ("Memory usage", "alpha"),
    ]


def test_shipped_gamma_has_a_critical_cpu_level(check, shipped):
    assert check(HostMonitor, cpu(90, 9, cluster="gamma"), base=shipped) == [
        ("CPU usage", "critical", "gamma", "h1", 99.0, ">", 98.0),
        ("CPU usage", "warning", "gamma", "h1", 99.0, ">", 90.0),
    ]


def test_healthy_hosts_raise_nothing(check):
    rows = [*cpu(40, 10), metric(DISK, 50, host="h1"), metric(MEMORY, 60, host="h1")]
    assert check(HostMonitor, rows) == []


def test_load_is_judged_per_core(check):
    rows = [metric("host/os/load.1m", 40, host="h1"), metric("host/os/cpu.cores", 16, host="h1")]
    rows += [metric("host/os/load.1m", 40, host="h2"), metric("host/os/cpu.cores", 48, host="h2")]
    assert check(HostMonitor, rows) == [("Load average", "warning", "alpha", "h1", 2.5, ">", 2.0)]


def test_a_clock_behind_counts_as_much_as_one_ahead(check):
    rows = [metric("host/os/clock.offset_ms", -1500, host="h1"), metric("host/os/clock.offset_ms", 120, host="h2")]
    assert check(HostMonitor, rows) == [
        ("Clock offset", "critical", "alpha", "h1", 1500.0, ">", 1000.0),
        ("Clock offset", "warning", "alpha", "h1", 1500.0, ">", 100.0),
        ("Clock offset", "warning", "alpha", "h2", 120.0, ">", 100.0),
    ]


def test_a_read_only_remount_is_seen_for_an_hour(check):
    line = "EXT4-fs (sdc1): Remounting filesystem read-only"
    recent = [log("host/kernel/x", line, host="h1", level="CRIT", ago="50m")]
    old = [log("host/kernel/x", line, host="h2", level="CRIT", ago="70m")]
    assert check(HostMonitor, recent + old) == [("Read-only file system", "warning", "alpha", "h1", 1.0, ">", 0.0)]


def test_disk_io_errors_count_the_kernels_blk_update_request_lines(check):
    line = "blk_update_request: I/O error, dev sdd, sector 2384923 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"
    rows = [log("host/kernel/x", line, host="h1", level="ERROR") for _ in range(3)]
    rows.append(log("host/kernel/x", "perf: interrupt took too long (2503 > 2500)", host="h2", level="INFO"))
    assert check(HostMonitor, rows) == [("Disk I/O errors", "warning", "alpha", "h1", 3.0, ">", 0.0)]
