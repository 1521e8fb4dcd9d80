"""KafkaMonitor: partitions, the active controller, thread pools, unclean leader elections."""

import pytest

from evaluator.monitors.kafka import KafkaMonitor
from evaluator.testing import ClusterSetup, metric

URP = "kafka/broker/UnderReplicatedPartitions"
OFFLINE = "kafka/controller/OfflinePartitionsCount"
CONTROLLER = "kafka/controller/ActiveControllerCount"


def brokers(path, *values, cluster="alpha"):
    return [metric(path, value, cluster=cluster, host=f"b{n}") for n, value in enumerate(values, 1)]


def healthy(cluster="alpha"):
    return [
        *brokers(URP, 0, 0, 0, cluster=cluster),
        *brokers(OFFLINE, 0, 0, 0, cluster=cluster),
        *brokers(CONTROLLER, 1, 0, 0, cluster=cluster),
    ]


def test_under_replicated_partitions_are_summed_over_brokers(check):
    rows = [*brokers(URP, 2, 3, 0), *brokers(CONTROLLER, 1, 0, 0)]
    assert check(KafkaMonitor, rows) == [("Under-replicated partitions", "warning", "alpha", None, 5.0, ">", 0.0)]


def test_offline_partitions_are_critical(check):
    rows = [*brokers(OFFLINE, 4, 0, 0), *brokers(CONTROLLER, 1, 0, 0)]
    assert check(KafkaMonitor, rows) == [("Offline partitions", "critical", "alpha", None, 4.0, ">", 0.0)]


@pytest.mark.parametrize(
    "controllers, expected",
    [
        ((1, 0, 0), []),
        ((0, 0, 0), [("critical", 0.0, "<", 1.0), ("warning", 0.0, "!=", 1.0)]),
        ((1, 1, 0), [("warning", 2.0, "!=", 1.0)]),
    ],
)
def test_exactly_one_active_controller(check, controllers, expected):
    found = check(KafkaMonitor, brokers(CONTROLLER, *controllers))
    assert [(s, v, op, t) for c, s, _cl, _h, v, op, t in found if c == "Active controller"] == expected


def test_a_cluster_can_tolerate_some_under_replication(check):
    rows = [*healthy("alpha"), *brokers(URP, 3, 0, 0, cluster="beta"), *brokers(CONTROLLER, 0, 1, 0, cluster="beta")]
    clusters = {"beta": ClusterSetup(thresholds={"kafka_under_replicated_partitions": {"warning": 10}})}
    assert check(KafkaMonitor, rows, clusters) == []


def test_shipped_gamma_turns_under_replication_off(check, shipped):
    rows = [*brokers(URP, 3, 0, 0, cluster="gamma"), *brokers(CONTROLLER, 1, 0, 0, cluster="gamma")]
    assert check(KafkaMonitor, rows, base=shipped) == []


def test_healthy_kafka_raises_nothing(check):
    assert check(KafkaMonitor, healthy("alpha") + healthy("beta")) == []


def test_busy_request_handlers_fire_below_the_idle_fraction(check):
    rows = brokers("kafka/broker/RequestHandlerAvgIdlePercent", 0.8, 0.2, 0.05)
    assert check(KafkaMonitor, rows) == [
        ("Request handlers busy", "warning", "alpha", "b2", 0.2, "<", 0.3),
        ("Request handlers busy", "critical", "alpha", "b3", 0.05, "<", 0.1),
        ("Request handlers busy", "warning", "alpha", "b3", 0.05, "<", 0.3),
    ]


def test_an_unclean_leader_election_is_critical_at_once(check):
    rows = [*brokers("kafka/controller/UncleanLeaderElectionsPerSec", 0.02, 0, 0), *brokers(CONTROLLER, 1, 0, 0)]
    assert check(KafkaMonitor, rows) == [("Unclean leader elections", "critical", "alpha", None, 0.02, ">", 0.0)]
