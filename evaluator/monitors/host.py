"""Hosts: CPU (user + system), free space on the fullest data disk, memory."""

from evaluator import Monitor


class HostMonitor(Monitor):
    """Operating system resources of every host."""

    thresholds = {
        "host_cpu_percent": {"warning": 90, "critical": None, "meaning": "CPU user + system, percent, per host"},
        "host_disk_free_percent": {
            "warning": 15,
            "critical": 5,
            "meaning": "free space on the fullest data disk, percent (below fires)",
        },
        "host_memory_used_percent": {"warning": 90, "critical": 97, "meaning": "memory used, percent, per host"},
    }

    def run(self) -> None:
        # User and system time only mean something together: a host at 50% user + 45% system is busy.
        cpu = self.all("host/os/cpu.user") + self.all("host/os/cpu.system")
        self.emit(
            "CPU usage",
            warning=cpu > self.w("host_cpu_percent"),
            critical=cpu > self.c("host_cpu_percent"),
            description="CPU busy (user + system) above threshold",
        )

        disk_free = self.all("host/os/disk.free_percent")
        self.emit(
            "Disk space low",
            warning=disk_free < self.w("host_disk_free_percent"),
            critical=disk_free < self.c("host_disk_free_percent"),
            description="Fullest data disk is running out of space",
        )

        memory = self.all("host/os/memory.used_percent")
        self.emit(
            "Memory usage",
            warning=memory > self.w("host_memory_used_percent"),
            critical=memory > self.c("host_memory_used_percent"),
            description="Memory use above threshold",
        )
