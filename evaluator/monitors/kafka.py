"""Kafka: partitions, the controller, ISR shrinks, request and network threads, log directories.

Paths are the MBean names of the brokers (ReplicaManager, KafkaRequestHandlerPool,
SocketServer, LogManager) and the controller (KafkaController, ControllerStats); rates are the
MBeans' OneMinuteRate, and the idle "percent" values are fractions from 0 to 1 as Kafka exports them.
"""

from evaluator import Monitor


class KafkaMonitor(Monitor):
    """Kafka replication, controller and broker thread pools."""

    thresholds = {
        "kafka_under_replicated_partitions": {
            "warning": 0,
            "critical": None,
            "meaning": "under-replicated partitions, sum over brokers",
        },
        "kafka_offline_partitions": {"warning": None, "critical": 0, "meaning": "partitions without a leader"},
        "kafka_isr_shrinks_per_second": {
            "warning": 1,
            "critical": None,
            "meaning": "ISR shrinks per second, sum over brokers",
        },
        "kafka_request_handler_idle": {
            "warning": 0.3,
            "critical": 0.1,
            "meaning": "request handler threads' idle fraction, 0-1 (below fires)",
        },
        "kafka_network_processor_idle": {
            "warning": 0.3,
            "critical": 0.1,
            "meaning": "network processor threads' idle fraction, 0-1 (below fires)",
        },
        "kafka_unclean_elections_per_second": {
            "warning": None,
            "critical": 0,
            "meaning": "unclean leader elections per second (each can lose messages)",
        },
        "kafka_offline_log_dirs": {"warning": 0, "critical": None, "meaning": "offline log directories per broker"},
    }

    def run(self) -> None:
        under_replicated = self.sum("kafka/broker/UnderReplicatedPartitions")
        self.emit(
            "Under-replicated partitions",
            warning=under_replicated > self.w("kafka_under_replicated_partitions"),
            critical=under_replicated > self.c("kafka_under_replicated_partitions"),
            description="Partitions with fewer in-sync replicas than assigned",
            action="Find the broker they share (kafka-topics --describe --under-replicated-partitions); check it",
        )

        # Only the active controller reports a non-zero value.
        offline = self.max("kafka/controller/OfflinePartitionsCount")
        self.emit(
            "Offline partitions",
            warning=offline > self.w("kafka_offline_partitions"),
            critical=offline > self.c("kafka_offline_partitions"),
            description="Partitions without a leader; producers and consumers are stuck",
            action="List them (kafka-topics --describe --unavailable-partitions); bring their replicas' brokers back",
        )

        # Exactly one broker must be the controller. Two is usually a dead controller's last
        # value still in the window, so only none at all is critical.
        controllers = self.sum("kafka/controller/ActiveControllerCount")
        self.emit(
            "Active controller",
            warning=controllers != 1,
            critical=controllers < 1,
            description="Cluster does not have exactly one active controller",
            action="Check the brokers' ZooKeeper (or KRaft quorum) connection; restart the broker that claims it",
        )

        isr_shrinks = self.sum("kafka/broker/IsrShrinksPerSec")
        self.emit(
            "ISR shrinks",
            warning=isr_shrinks > self.w("kafka_isr_shrinks_per_second"),
            critical=isr_shrinks > self.c("kafka_isr_shrinks_per_second"),
            description="Replicas keep dropping out of the in-sync set",
            action="Look for a slow or restarting broker (GC, disk, network); replica.lag.time.max.ms may be too low",
        )

        handler_idle = self.all("kafka/broker/RequestHandlerAvgIdlePercent")
        self.emit(
            "Request handlers busy",
            warning=handler_idle < self.w("kafka_request_handler_idle"),
            critical=handler_idle < self.c("kafka_request_handler_idle"),
            description="Broker request handler threads are nearly always busy",
            action="Check the broker's disk and produce/fetch rates; add num.io.threads or spread leaders",
        )

        network_idle = self.all("kafka/broker/NetworkProcessorAvgIdlePercent")
        self.emit(
            "Network processors busy",
            warning=network_idle < self.w("kafka_network_processor_idle"),
            critical=network_idle < self.c("kafka_network_processor_idle"),
            description="Broker network threads are nearly always busy",
            action="Look at connection counts and request rates per client; add num.network.threads",
        )

        unclean = self.max("kafka/controller/UncleanLeaderElectionsPerSec")
        self.emit(
            "Unclean leader elections",
            warning=unclean > self.w("kafka_unclean_elections_per_second"),
            critical=unclean > self.c("kafka_unclean_elections_per_second"),
            description="Out-of-sync replicas became leaders: messages may be lost",
            action="Find the topics in the controller log and warn their owners of loss; check unclean.leader.election",
        )

        offline_dirs = self.all("kafka/broker/OfflineLogDirectoryCount")
        self.emit(
            "Offline log directories",
            warning=offline_dirs > self.w("kafka_offline_log_dirs"),
            critical=offline_dirs > self.c("kafka_offline_log_dirs"),
            description="A broker's log directory failed; its partitions moved away or went offline",
            action="Find the directory in the broker log (failed log dir), replace the disk, restart the broker",
        )
