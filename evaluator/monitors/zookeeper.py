"""ZooKeeper: servers down and the quorum, from process state; outstanding requests per server."""

from evaluator import Monitor


class ZookeeperMonitor(Monitor):
    """ZooKeeper ensemble health."""

    thresholds = {
        "zookeeper_servers_down": {
            "warning": 0,
            "critical": None,
            "meaning": "servers not RUNNING; losing the quorum is critical anyway",
        },
        "zookeeper_outstanding_requests": {"warning": 100, "critical": 1000, "meaning": "queued requests per server"},
    }

    def run(self) -> None:
        expected = self.host_count("zookeeper/server")
        running = self.running_count("zookeeper/server")
        down = expected - running
        # The quorum holds while running * 2 > expected. Once servers are down, it is one failure
        # from being lost when running * 2 - expected <= 2, that is running <= expected / 2 + 1.
        # (A healthy one-server ensemble is not at risk of anything new: it needs a server down.)
        quorum_at_risk = (running <= expected / 2 + 1) & (down > 0)
        self.emit(
            "ZooKeeper quorum at risk",
            warning=down > self.w("zookeeper_servers_down"),
            critical=quorum_at_risk | (down > self.c("zookeeper_servers_down")),
            description="ZooKeeper servers down; critical when one more failure loses the quorum",
        )

        outstanding = self.all("zookeeper/server/outstanding_requests")
        self.emit(
            "Outstanding requests",
            warning=outstanding > self.w("zookeeper_outstanding_requests"),
            critical=outstanding > self.c("zookeeper_outstanding_requests"),
            description="ZooKeeper server is falling behind on requests",
        )
