"""Kafka: under-replicated and offline partitions, the active controller."""

from evaluator import Monitor


class KafkaMonitor(Monitor):
    """Kafka replication and controller state."""

    thresholds = {
        "kafka_under_replicated_partitions": {
            "warning": 0,
            "critical": None,
            "meaning": "under-replicated partitions, sum over brokers",
        },
        "kafka_offline_partitions": {"warning": None, "critical": 0, "meaning": "partitions without a leader"},
    }

    def run(self) -> None:
        under_replicated = self.sum("kafka/broker/UnderReplicatedPartitions")
        self.emit(
            "Under-replicated partitions",
            warning=under_replicated > self.w("kafka_under_replicated_partitions"),
            critical=under_replicated > self.c("kafka_under_replicated_partitions"),
            description="Partitions with fewer in-sync replicas than assigned",
        )

        # Only the active controller reports a non-zero value.
        offline = self.max("kafka/controller/OfflinePartitionsCount")
        self.emit(
            "Offline partitions",
            warning=offline > self.w("kafka_offline_partitions"),
            critical=offline > self.c("kafka_offline_partitions"),
            description="Partitions without a leader; producers and consumers are stuck",
        )

        # Exactly one broker must be the controller. Two is usually a dead controller's last
        # value still in the window, so only none at all is critical.
        controllers = self.sum("kafka/controller/ActiveControllerCount")
        self.emit(
            "Active controller",
            warning=controllers != 1,
            critical=controllers < 1,
            description="Cluster does not have exactly one active controller",
        )
