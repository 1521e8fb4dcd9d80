"""Three outcomes per element of a compared vector: problem, ok, no data, for every kind of query.

``outcome(cluster, host)`` is ``True`` (problem: present, the comparison holds), ``False`` (ok:
present, it does not) or ``None`` (no data: absent). Only *ok* may resolve an alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from evaluator import Element, Evaluator, Monitor, Vector
from evaluator.testing import ClusterSetup, build_config, log, metric, process
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, ProcessQuery, Sample, Sources
from khp.store import Store

from .helpers import AT, Probe, write_rows
from .test_logs import CannedSearch, with_logs

DISK = "host/os/disk.used_percent"
SLOTS = "druid/overlord/taskSlot.used.count"
RS = "hbase/regionserver/responseToo*"
PROBLEM, OK, NO_DATA = True, False, None


# -- metrics: present where the host or cluster reported in the window, absent otherwise ----------


def test_metrics_host_level(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            metric(DISK, 97, host="full"),
            metric(DISK, 40, host="fine"),
            metric(DISK, 99, host="vanished", ago="20m"),  # only before the window
        ]
    )
    full = probe.all(DISK) > 95
    assert full.outcome("alpha", "full") is PROBLEM
    assert full.outcome("alpha", "fine") is OK
    assert full.outcome("alpha", "vanished") is NO_DATA
    assert full.outcome("beta", "full") is NO_DATA


def test_metrics_cluster_level_and_arithmetic(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            metric(SLOTS, 90, cluster="alpha", host="o1"),
            metric("druid/overlord/taskSlot.total.count", 100, cluster="alpha", host="o1"),
            metric(SLOTS, 10, cluster="beta", host="o1"),
            metric("druid/overlord/taskSlot.total.count", 100, cluster="beta", host="o1"),
            metric(SLOTS, 50, cluster="gamma", host="o1"),  # no total: the ratio has no data
            metric(SLOTS, 1, cluster="delta", host="o1"),
            metric("druid/overlord/taskSlot.total.count", 0, cluster="delta", host="o1"),  # / 0: dropped
        ]
    )
    used = probe.max(SLOTS) / probe.max("druid/overlord/taskSlot.total.count") * 100
    high = used > 80
    assert [high.outcome(c) for c in ("alpha", "beta", "gamma", "delta")] == [PROBLEM, OK, NO_DATA, NO_DATA]


def test_a_threshold_turned_off_for_a_cluster_is_ok_there(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [metric(DISK, 97, cluster="alpha", host="h1"), metric(DISK, 97, cluster="beta", host="h1")],
        thresholds={"disk": {"warning": 95, "critical": None}},
        clusters={"beta": ClusterSetup(thresholds={"disk": None})},
    )
    warning = probe.all(DISK) > probe.w("disk")
    critical = probe.all(DISK) > probe.c("disk")
    assert (warning.outcome("alpha", "h1"), warning.outcome("beta", "h1")) == (PROBLEM, OK)
    assert (critical.outcome("alpha", "h1"), critical.outcome("beta", "h1")) == (OK, OK)


def test_comparing_two_vectors_knows_the_joined_labels(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            metric("a/b/used", 9, host="h1"),
            metric("a/b/limit", 5, host="h1"),
            metric("a/b/used", 1, host="h2"),
            metric("a/b/limit", 5, host="h2"),
            metric("a/b/used", 9, host="h3"),  # no limit reported
        ]
    )
    over = probe.all("a/b/used") > probe.all("a/b/limit")
    assert [over.outcome("alpha", h) for h in ("h1", "h2", "h3")] == [PROBLEM, OK, NO_DATA]


# -- logs: a known host of the role with no matching line counts 0 --------------------------------


def test_log_count_per_host_counts_known_hosts_as_zero(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            log(RS, "(responseTooSlow)", host="noisy"),
            process("hbase-regionserver", host="quiet"),  # the inventory knows it runs the role
            log(RS, "(responseTooSlow)", host="unknown", ago="30m"),  # not a known host, no line now
        ]
    )
    counts = probe.log_count(RS)
    assert counts.values() == {("alpha", "noisy"): 1.0, ("alpha", "quiet"): 0.0}
    slow = counts > 0
    assert slow.outcome("alpha", "noisy") is PROBLEM
    assert slow.outcome("alpha", "quiet") is OK
    assert slow.outcome("alpha", "unknown") is NO_DATA


def test_log_count_per_cluster_counts_clusters_with_the_role_as_zero(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [log(RS, "(responseTooSlow)", cluster="alpha", host="rs1")],
        clusters={"beta": ClusterSetup(hosts={"b-rs1": ["hbase/regionserver"]})},
    )
    slow = probe.log_count(RS, by="cluster") > 0
    assert [slow.outcome(c) for c in ("alpha", "beta", "gamma")] == [PROBLEM, OK, NO_DATA]


def test_log_search_knows_only_what_it_answered(store: Store, dsl: Callable[..., Probe]) -> None:
    canned = CannedSearch(EmbeddedLogs(store), [Sample("alpha", "rs1", 12.0)])
    probe = dsl([process("hbase-regionserver", host="rs2")], sources=with_logs(store, canned))
    slow = probe.log_search({"size": 0}) > 10
    assert (slow.outcome("alpha", "rs1"), slow.outcome("alpha", "rs2")) == (PROBLEM, NO_DATA)


# -- processes: a host that reported process states counts 0; a silent one has no data -----------


def test_process_count_counts_reporting_hosts_as_zero(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            process("hdfs-datanode", "FATAL", host="broken"),
            process("hdfs-datanode", host="healthy"),
            process("hdfs-datanode", "FATAL", host="silent", ago="2h"),  # known, nothing in the window
        ]
    )
    fatal = probe.process_count("FATAL") > 0
    assert [fatal.outcome("alpha", h) for h in ("broken", "healthy", "silent")] == [PROBLEM, OK, NO_DATA]


def test_process_count_of_a_role_counts_the_hosts_running_it(dsl: Callable[..., Probe]) -> None:
    probe = dsl([process("zookeeper-server", "BACKOFF", host="zk1"), process("zookeeper-server", host="zk2")])
    backoff = probe.process_count("BACKOFF", role="zookeeper/server") > 0
    assert (backoff.outcome("alpha", "zk1"), backoff.outcome("alpha", "zk2")) == (PROBLEM, OK)


def test_running_count_counts_every_cluster_with_the_role(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [process("zookeeper-server", cluster="alpha", host="zk1")],
        clusters={"beta": ClusterSetup(hosts={"b-zk1": ["zookeeper/server"]})},
    )
    few = probe.running_count("zookeeper/server") < 1
    assert [few.outcome(c) for c in ("alpha", "beta", "gamma")] == [OK, PROBLEM, NO_DATA]


# -- inventory: member lists know every other host of the inventory (value 0) ---------------------


INVENTORY = {
    "alpha": ClusterSetup(
        hosts={
            "dn1": ["hdfs/datanode", "yarn/nodemanager"],
            "dn2": ["hdfs/datanode"],  # no NodeManager planned either
            "dn3": ["hdfs/datanode", "yarn/nodemanager"],
            "zk1": ["zookeeper/server"],
        }
    )
}


@pytest.fixture
def fleet(dsl: Callable[..., Probe]) -> Probe:
    return dsl(
        [
            process("hdfs-datanode", host="dn1"),
            process("yarn-nodemanager", host="dn1"),
            process("hdfs-datanode", host="dn2"),
            process("hdfs-datanode", host="dn3"),  # its NodeManager is missing
            process("zookeeper-server", host="zk1", ago="3h"),  # silent in the window
        ],
        clusters=INVENTORY,
    )


def test_silent_hosts(fleet: Probe) -> None:
    silent = fleet.silent_hosts() > 0
    assert [silent.outcome("alpha", h) for h in ("zk1", "dn1", "elsewhere")] == [PROBLEM, OK, NO_DATA]


def test_missing_roles_and_unless(fleet: Probe) -> None:
    missing = fleet.missing_roles().unless(fleet.silent_hosts()) > 0
    assert missing.outcome("alpha", "dn3") is PROBLEM
    assert missing.outcome("alpha", "dn1") is OK
    assert missing.outcome("alpha", "zk1") is OK  # silent: reported once, by "Host silent"
    assert missing.outcome("alpha", "elsewhere") is NO_DATA


def test_hosts_without(fleet: Probe) -> None:
    lonely = fleet.hosts_without("yarn/nodemanager", having="hdfs/datanode") > 0
    assert [lonely.outcome("alpha", h) for h in ("dn2", "dn1")] == [PROBLEM, OK]
    assert lonely.outcome("alpha", "zk1") is NO_DATA  # runs no DataNode: the check says nothing of it


def test_hosts_of_a_role(fleet: Probe) -> None:
    zookeepers = fleet.hosts("zookeeper/server") > 0
    assert [zookeepers.outcome("alpha", h) for h in ("zk1", "dn1", "elsewhere")] == [PROBLEM, OK, NO_DATA]
    assert fleet.hosts("zookeeper/server").to_list() == [{"cluster": "alpha", "host": "zk1", "value": 1.0}]


def test_a_member_list_compared_with_a_threshold_below_zero_makes_every_known_host_a_problem(fleet: Probe) -> None:
    everyone = fleet.silent_hosts() > -1
    assert sorted((e.host, e.value) for e in everyone) == [("dn1", 0.0), ("dn2", 0.0), ("dn3", 0.0), ("zk1", 1.0)]


class Unreachable:
    """Embedded process states, plus one host whose Supervisor does not answer."""

    def __init__(self, inner: EmbeddedProcesses) -> None:
        self.inner = inner

    def states(self, query: ProcessQuery) -> Sequence:
        return self.inner.states(query)

    def seen(self, query: ProcessQuery) -> Sequence:
        return self.inner.seen(query)

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return [("alpha", "dn2", "connection refused")]


def test_unreachable_hosts(store: Store, dsl: Callable[..., Probe]) -> None:
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), Unreachable(EmbeddedProcesses(store)))  # type: ignore[arg-type]
    probe = dsl([process("hdfs-datanode", host="dn1")], clusters=INVENTORY, sources=sources)
    down = probe.unreachable_hosts() > 0
    assert [down.outcome("alpha", h) for h in ("dn2", "dn1", "elsewhere")] == [PROBLEM, OK, NO_DATA]


# -- combining comparisons: three-valued "or" and "and" -------------------------------------------


def test_or_and_and_are_three_valued(dsl: Callable[..., Probe]) -> None:
    probe = dsl(
        [
            metric("a/b/x", 9, host="both"),
            metric("a/b/y", 9, host="both"),
            metric("a/b/x", 1, host="neither"),
            metric("a/b/y", 1, host="neither"),
            metric("a/b/x", 1, host="x-ok-only"),  # y has no data
            metric("a/b/x", 9, host="x-only"),  # y has no data
        ]
    )
    x, y = probe.all("a/b/x") > 5, probe.all("a/b/y") > 5
    either, both = x | y, x & y
    assert [either.outcome("alpha", h) for h in ("both", "neither", "x-ok-only", "x-only")] == [
        PROBLEM,
        OK,
        NO_DATA,  # false or unknown: unknown
        PROBLEM,  # true or unknown: true
    ]
    assert [both.outcome("alpha", h) for h in ("both", "neither", "x-ok-only", "x-only")] == [
        PROBLEM,
        OK,
        OK,  # false and unknown: false
        NO_DATA,  # true and unknown: unknown
    ]


def test_and_broadcasts_a_cluster_that_is_known_fine(dsl: Callable[..., Probe]) -> None:
    probe = dsl([metric("a/b/x", 9, host="h1"), metric("a/b/total", 1, host="h1")])
    hot = (probe.all("a/b/x") > 5) & (probe.max("a/b/total") > 5)  # the cluster side is fine
    assert hot.outcome("alpha", "h1") is OK


def test_a_vector_built_by_hand_knows_what_it_is_told() -> None:
    plain = Vector([Element("alpha", "h1", 3.0)]) > 1
    assert (plain.outcome("alpha", "h1"), plain.outcome("alpha", "h2")) == (PROBLEM, NO_DATA)
    told = Vector([Element("alpha", "h1", 3.0)], domain=[("alpha", "h2")], zeros=True) > 1
    assert (told.outcome("alpha", "h1"), told.outcome("alpha", "h2")) == (PROBLEM, OK)


# -- what a cycle keeps: the coverage of every emit -----------------------------------------------


class Disks(Monitor):
    def run(self) -> None:
        used = self.all(DISK)
        self.emit("Disk", warning=used > 80, critical=used > 95)


def test_the_cycle_keeps_what_each_check_had_data_for(store: Store) -> None:
    write_rows(store, [metric(DISK, 97, host="full"), metric(DISK, 50, host="fine")])
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(build_config(), sources, [Disks]) as evaluator:
        result = evaluator.cycle(at=AT)
    assert {(p.host, p.severity) for p in result.problems} == {("full", "warning"), ("full", "critical")}
    assert result.covers(("Disk", "Disks", "alpha", "fine", "warning")) is True
    assert result.covers(("Disk", "Disks", "alpha", "fine", "critical")) is True
    assert result.covers(("Disk", "Disks", "alpha", "gone", "warning")) is False  # no data: hold it
    assert result.covers(("Disk", "Gone", "alpha", "fine", "warning")) is True  # the monitor no longer exists
    assert result.covers(("Monitor failed", "Disks", None, None, "warning")) is True
