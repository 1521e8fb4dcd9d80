"""ZooKeeper: the quorum and its leader, request backlog and latency, file descriptors, slow fsyncs.

Paths are the names of ZooKeeper's own metrics (``mntr``, or the Prometheus provider of 3.6+)
without the ``zk_`` prefix; ``server_state.leader`` is ``zk_server_state`` as a gauge, 1 on the
leader. Servers down come from process state; slow fsyncs from the servers' log lines
``fsync-ing the write ahead log in SyncThread:1 took 1342ms which will adversely effect operation latency``.
"""

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
        "zookeeper_avg_latency_ms": {"warning": 100, "critical": 500, "meaning": "average request latency, ms"},
        "zookeeper_fd_used_percent": {
            "warning": 80,
            "critical": 95,
            "meaning": "open file descriptors, percent of the limit",
        },
        "zookeeper_slow_fsyncs": {
            "warning": 3,
            "critical": 30,
            "meaning": "'fsync-ing the write ahead log ... took' log lines per server in 10 minutes",
        },
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
            action="Start the stopped servers first (supervisorctl status on the ensemble); read why they stopped",
        )

        # A leader that stopped reporting keeps its last value in a long window: look at two minutes.
        leaders = self.sum("zookeeper/server/server_state.leader", window="2m")
        self.emit(
            "No ZooKeeper leader",
            critical=leaders < 1,
            description="The ensemble has no leader: every client of it is stalled",
            action="Ask each server (echo srvr | nc host 2181); check the network between them and restart one",
        )

        outstanding = self.all("zookeeper/server/outstanding_requests")
        self.emit(
            "Outstanding requests",
            warning=outstanding > self.w("zookeeper_outstanding_requests"),
            critical=outstanding > self.c("zookeeper_outstanding_requests"),
            description="ZooKeeper server is falling behind on requests",
            action="Find the clients flooding it (echo cons | nc host 2181); look for a slow disk or GC pauses",
        )

        latency = self.all("zookeeper/server/avg_latency")
        self.emit(
            "ZooKeeper latency",
            warning=latency > self.w("zookeeper_avg_latency_ms"),
            critical=latency > self.c("zookeeper_avg_latency_ms"),
            description="ZooKeeper answers slowly; sessions of HBase, Kafka, HDFS HA may expire",
            action="Check the server's transaction log disk (iostat -x) and GC; keep snapshots off the log disk",
        )

        fd_used_percent = (
            self.all("zookeeper/server/open_file_descriptor_count")
            / self.all("zookeeper/server/max_file_descriptor_count")
            * 100
        )
        self.emit(
            "ZooKeeper file descriptors",
            warning=fd_used_percent > self.w("zookeeper_fd_used_percent"),
            critical=fd_used_percent > self.c("zookeeper_fd_used_percent"),
            description="ZooKeeper is running out of file descriptors; new clients will be refused",
            action="Count connections per client IP (echo cons | nc host 2181); find the client leaking sessions",
        )

        slow_fsyncs = self.log_count("zookeeper/server/fsync", period="PT10M")
        self.emit(
            "Slow fsync",
            warning=slow_fsyncs > self.w("zookeeper_slow_fsyncs"),
            critical=slow_fsyncs > self.c("zookeeper_slow_fsyncs"),
            description="ZooKeeper's write-ahead log syncs take over a second",
            action="Give the transaction log (dataLogDir) its own disk; check that disk with iostat -x and smartctl",
        )
