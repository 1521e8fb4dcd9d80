"""YARN: NodeManagers, ResourceManager HA, pending work and the root queue.

Paths are the attribute names of the ResourceManager's ClusterMetrics and root QueueMetrics
beans and the NodeManager's NodeManagerMetrics. ``HAState.active`` is the ResourceManager's
``haState`` as a gauge: 1 on the active one, 0 on a standby.
"""

from evaluator import Monitor


class YarnMonitor(Monitor):
    """YARN cluster state as the ResourceManagers and NodeManagers report it."""

    thresholds = {
        "yarn_unhealthy_nodemanagers": {
            "warning": 0,
            "critical": None,
            "meaning": "NodeManagers failing their health check",
        },
        "yarn_lost_nodemanagers": {
            "warning": 0,
            "critical": None,
            "meaning": "NodeManagers lost by the ResourceManager",
        },
        "yarn_pending_applications": {
            "warning": 100,
            "critical": None,
            "meaning": "applications waiting for resources",
        },
        "yarn_pending_containers": {"warning": 2000, "critical": None, "meaning": "containers waiting for resources"},
        "yarn_root_queue_used_percent": {
            "warning": 95,
            "critical": None,
            "meaning": "memory allocated in the root queue, percent of allocated + available",
        },
        "yarn_bad_local_dirs": {"warning": 0, "critical": None, "meaning": "bad local directories per NodeManager"},
    }

    def run(self) -> None:
        # ResourceManagers run as an HA pair: take the larger value per cluster.
        unhealthy = self.max("yarn/resourcemanager/NumUnhealthyNMs")
        self.emit(
            "Unhealthy NodeManagers",
            warning=unhealthy > self.w("yarn_unhealthy_nodemanagers"),
            critical=unhealthy > self.c("yarn_unhealthy_nodemanagers"),
            description="NodeManagers failing their health check (often full local disks)",
            action="List them (yarn node -list -states UNHEALTHY) and read the health report; usually a full disk",
        )

        lost = self.max("yarn/resourcemanager/NumLostNMs")
        self.emit(
            "Lost NodeManagers",
            warning=lost > self.w("yarn_lost_nodemanagers"),
            critical=lost > self.c("yarn_lost_nodemanagers"),
            description="NodeManagers that stopped heartbeating to the ResourceManager",
            action="List them (yarn node -list -states LOST); check the hosts and restart their NodeManagers",
        )

        pending = self.max("yarn/resourcemanager/AppsPending")
        self.emit(
            "Pending applications",
            warning=pending > self.w("yarn_pending_applications"),
            critical=pending > self.c("yarn_pending_applications"),
            description="Applications waiting for resources",
            action="See which queues are full in the scheduler page; look for one user or job holding the cluster",
        )

        # Only one ResourceManager can be active; a dead one's last value lingers, so look at two minutes.
        actives = self.sum("yarn/resourcemanager/HAState.active", window="2m")
        self.emit(
            "ResourceManager HA state",
            critical=actives != 1,
            description="Not exactly one active ResourceManager: no jobs start, or split brain",
            action="Ask both (yarn rmadmin -getAllServiceState); check their ZooKeeper session, then fail over",
        )

        pending_containers = self.max("yarn/resourcemanager/PendingContainers")
        self.emit(
            "Pending containers",
            warning=pending_containers > self.w("yarn_pending_containers"),
            critical=pending_containers > self.c("yarn_pending_containers"),
            description="Many containers wait for resources; jobs run slowly",
            action="Compare demand with free memory per queue; check that no NodeManager dropped out",
        )

        allocated = self.max("yarn/resourcemanager/AllocatedMB")
        used_percent = allocated / (allocated + self.max("yarn/resourcemanager/AvailableMB")) * 100
        self.emit(
            "Root queue usage",
            warning=used_percent > self.w("yarn_root_queue_used_percent"),
            critical=used_percent > self.c("yarn_root_queue_used_percent"),
            description="Almost all of the cluster's memory is allocated; new work waits",
            pending="30m",
            action="Find the applications holding most memory (yarn top); ask owners, or preempt low-priority queues",
        )

        bad_dirs = self.all("yarn/nodemanager/BadLocalDirs")
        self.emit(
            "NodeManager bad local dirs",
            warning=bad_dirs > self.w("yarn_bad_local_dirs"),
            critical=bad_dirs > self.c("yarn_bad_local_dirs"),
            description="NodeManager stopped using some local directories (full or failed disks)",
            action="Check the host's disks (df -h, dmesg); clean yarn local dirs or replace the failed disk",
        )
