"""YARN: unhealthy and lost NodeManagers, applications waiting for resources."""

from evaluator import Monitor


class YarnMonitor(Monitor):
    """YARN cluster state as the ResourceManagers report it."""

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
    }

    def run(self) -> None:
        # ResourceManagers run as an HA pair: take the larger value per cluster.
        unhealthy = self.max("yarn/resourcemanager/NumUnhealthyNMs")
        self.emit(
            "Unhealthy NodeManagers",
            warning=unhealthy > self.w("yarn_unhealthy_nodemanagers"),
            critical=unhealthy > self.c("yarn_unhealthy_nodemanagers"),
            description="NodeManagers failing their health check (often full local disks)",
        )

        lost = self.max("yarn/resourcemanager/NumLostNMs")
        self.emit(
            "Lost NodeManagers",
            warning=lost > self.w("yarn_lost_nodemanagers"),
            critical=lost > self.c("yarn_lost_nodemanagers"),
            description="NodeManagers that stopped heartbeating to the ResourceManager",
        )

        pending = self.max("yarn/resourcemanager/AppsPending")
        self.emit(
            "Pending applications",
            warning=pending > self.w("yarn_pending_applications"),
            critical=pending > self.c("yarn_pending_applications"),
            description="Applications waiting for resources",
        )
