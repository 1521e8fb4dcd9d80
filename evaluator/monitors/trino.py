"""Trino: workers the coordinator lost, queued queries, internal failures, memory-blocked workers.

Paths are JMX attribute names of the coordinator's DiscoveryNodeManager, QueryManager and
ClusterMemoryPool (general) beans; ``InternalFailures.OneMinute.Count`` is failures in the last
minute.
"""

from evaluator import Monitor


class TrinoMonitor(Monitor):
    """Trino clusters as their coordinator sees them."""

    thresholds = {
        "trino_inactive_workers": {"warning": 0, "critical": None, "meaning": "workers the coordinator lost"},
        "trino_queued_queries": {"warning": 50, "critical": 200, "meaning": "queries waiting in resource groups"},
        "trino_internal_failures": {
            "warning": 5,
            "critical": 50,
            "meaning": "queries failed by Trino itself (not the user) in the last minute",
        },
        "trino_blocked_nodes": {
            "warning": 0,
            "critical": None,
            "meaning": "workers blocked on a full general memory pool",
        },
    }

    def run(self) -> None:
        inactive = self.max("trino/coordinator/InactiveNodeCount")
        self.emit(
            "Trino workers lost",
            warning=inactive > self.w("trino_inactive_workers"),
            critical=inactive > self.c("trino_inactive_workers"),
            description="The coordinator lost workers; queries run slower or fail",
            action="Find them (SELECT * FROM system.runtime.nodes); restart the worker or look at its host",
        )

        queued = self.max("trino/coordinator/QueuedQueries")
        self.emit(
            "Trino queued queries",
            warning=queued > self.w("trino_queued_queries"),
            critical=queued > self.c("trino_queued_queries"),
            description="Queries queue in Trino's resource groups",
            action="See which resource group is full (system.runtime.queries); look for a user flooding it",
        )

        failures = self.max("trino/coordinator/InternalFailures.OneMinute.Count")
        self.emit(
            "Trino internal failures",
            warning=failures > self.w("trino_internal_failures"),
            critical=failures > self.c("trino_internal_failures"),
            description="Queries fail inside Trino (not user errors)",
            action="Read the error codes of failed queries (system.runtime.queries); often a connector or a worker",
        )

        blocked = self.max("trino/coordinator/BlockedNodes")
        self.emit(
            "Trino memory blocked",
            warning=blocked > self.w("trino_blocked_nodes"),
            critical=blocked > self.c("trino_blocked_nodes"),
            description="Workers are blocked on a full memory pool; queries stall",
            action="Find the queries using the most memory (system.runtime.queries) and kill the runaway one",
        )
