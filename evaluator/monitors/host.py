"""Hosts: CPU, load, memory, disks (space, inodes, I/O errors, read-only remounts) and the clock."""

from evaluator import Element, Monitor, Vector


class HostMonitor(Monitor):
    """Operating system resources of every host, and what the kernel logs about its disks."""

    thresholds = {
        "host_cpu_percent": {"warning": 90, "critical": None, "meaning": "CPU user + system, percent, per host"},
        "host_load_per_core": {"warning": 2, "critical": 4, "meaning": "1-minute load average per CPU core"},
        "host_disk_free_percent": {
            "warning": 15,
            "critical": 5,
            "meaning": "free space on the fullest data disk, percent (below fires)",
        },
        "host_inodes_free_percent": {
            "warning": 10,
            "critical": 3,
            "meaning": "free inodes on the data disk with fewest, percent (below fires)",
        },
        "host_memory_used_percent": {"warning": 90, "critical": 97, "meaning": "memory used, percent, per host"},
        "host_clock_offset_ms": {
            "warning": 100,
            "critical": 1000,
            "meaning": "distance of the clock from NTP time, ms, either way",
        },
        "host_read_only_remounts": {
            "warning": 0,
            "critical": None,
            "meaning": "kernel 'Remounting filesystem read-only' lines in the last hour",
        },
        "host_disk_io_errors": {
            "warning": 0,
            "critical": 100,
            "meaning": "kernel lines of failed block I/O requests, in any kernel's form, in 10 minutes",
        },
    }

    def run(self) -> None:
        # User and system time only mean something together: a host at 50% user + 45% system is busy.
        cpu = self.all("host/os/cpu.user") + self.all("host/os/cpu.system")
        self.emit(
            "CPU usage",
            warning=cpu > self.w("host_cpu_percent"),
            critical=cpu > self.c("host_cpu_percent"),
            description="CPU busy (user + system) above threshold",
            action="Find the busiest processes (top -c); if one role hogs the host, move or throttle its work",
        )

        load_per_core = self.all("host/os/load.1m") / self.all("host/os/cpu.cores")
        self.emit(
            "Load average",
            warning=load_per_core > self.w("host_load_per_core"),
            critical=load_per_core > self.c("host_load_per_core"),
            description="More runnable or I/O-blocked tasks than cores can serve",
            action="Look for processes in D state (ps -eo state,cmd | grep ^D) and disks at 100% (iostat -x 5)",
        )

        disk_free = self.all("host/os/disk.free_percent")
        self.emit(
            "Disk space low",
            warning=disk_free < self.w("host_disk_free_percent"),
            critical=disk_free < self.c("host_disk_free_percent"),
            description="Fullest data disk is running out of space",
            action="Find what grew (du -xh --max-depth=2 on the disk); clear old logs or rebalance data away",
        )

        inodes_free = self.all("host/os/disk.inodes_free_percent")
        self.emit(
            "Inodes low",
            warning=inodes_free < self.w("host_inodes_free_percent"),
            critical=inodes_free < self.c("host_inodes_free_percent"),
            description="A data disk is running out of inodes: no new file can be created",
            action="Find the directory with millions of small files (df -i; du --inodes) and remove or merge them",
        )

        memory = self.all("host/os/memory.used_percent")
        self.emit(
            "Memory usage",
            warning=memory > self.w("host_memory_used_percent"),
            critical=memory > self.c("host_memory_used_percent"),
            description="Memory use above threshold",
            action="Find the largest resident processes (ps aux --sort=-rss); check heap sizes against the host",
        )

        clock_offset = abs(self.all("host/os/clock.offset_ms"))
        self.emit(
            "Clock offset",
            warning=clock_offset > self.w("host_clock_offset_ms"),
            critical=clock_offset > self.c("host_clock_offset_ms"),
            description="Clock drifts from NTP; HBase, Kudu and Kerberos refuse skewed hosts",
            action="Check the time daemon (chronyc tracking) and that the NTP servers are reachable",
        )

        # The kernel says it once, when it happens: look back an hour rather than ten minutes.
        remounts = self.log_count("host/kernel/Remounting", period="PT1H")
        self.emit(
            "Read-only file system",
            warning=remounts > self.w("host_read_only_remounts"),
            critical=remounts > self.c("host_read_only_remounts"),
            description="The kernel remounted a file system read-only after an error",
            action="Find the disk in dmesg, stop the roles writing to it, fsck it; replace the disk if errors repeat",
        )

        # The block layer's line for a failed request has had four forms (Linux's print_req_error):
        #   before 4.13  blk_update_request: I/O error, dev sdb, sector 2048
        #   4.13 to 5.2  print_req_error: I/O error, dev sdb, sector 2048
        #   5.3 to 5.15  blk_update_request: I/O error, dev sdb, sector 2048 op 0x0:(READ) flags 0x0 phys_seg 1 ...
        #   5.16 on      I/O error, dev sdb, sector 2048 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
        # Every form has one of these words, and a host runs one kernel: its count is the largest.
        io_errors = _largest(
            self.log_count("host/kernel/blk_update_request", period="PT10M"),
            self.log_count("host/kernel/print_req_error", period="PT10M"),
            self.log_count("host/kernel/phys_seg", period="PT10M"),
        )
        self.emit(
            "Disk I/O errors",
            warning=io_errors > self.w("host_disk_io_errors"),
            critical=io_errors > self.c("host_disk_io_errors"),
            description="The kernel logs I/O errors: a disk is failing",
            action="Name the device from dmesg, check it with smartctl -a, and have the disk replaced",
        )


def _largest(*counts: Vector) -> Vector:
    """Per host, the largest of ``counts``: lines that hold several of the words count once."""

    def pick() -> list[Element]:
        best: dict[tuple[str, str | None], Element] = {}
        for vector in counts:
            for element in vector:
                seen = best.get((element.cluster, element.host))
                if seen is None or element.value > seen.value:
                    best[(element.cluster, element.host)] = element
        return list(best.values())

    return Vector(pick, f"largest({', '.join(vector.label for vector in counts)})")
