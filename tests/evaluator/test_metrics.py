"""``self.all`` and the cluster aggregates over a real store: windows, evaluation time, scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evaluator import DslError, Monitor, Vector
from evaluator.testing import ClusterSetup, metric, run_monitor
from khp.records import MetricRow

from .helpers import AT, Probe

DISK = "hdfs/datanode/disk.used_percent"


def test_all_is_each_hosts_latest_value_in_the_window(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(
        [
            metric(DISK, 99, host="h1", ago="15m"),  # older than the window: ignored
            metric(DISK, 70, host="h1", ago="5m"),
            metric(DISK, 71.5, host="h1", ago="1m"),  # h1's latest
            metric(DISK, 50, host="h2", ago="11m"),  # only before the window: h2 is absent
            metric(DISK, 60, host="h3", ago=0),  # exactly at the evaluation time: included
            metric(DISK, 40, host="h4", ago="2m"),
            MetricRow(AT + 1, "alpha", "h4", "hdfs", "datanode", "disk.used_percent", 45),  # after it: excluded
            metric(DISK, 80, host="h1", cluster="beta"),
        ]
    )
    assert monitor.all(DISK).to_list() == [
        {"cluster": "alpha", "host": "h1", "value": 71.5},
        {"cluster": "alpha", "host": "h3", "value": 60.0},
        {"cluster": "alpha", "host": "h4", "value": 40.0},
        {"cluster": "beta", "host": "h1", "value": 80.0},
    ]


def test_a_window_can_be_given_per_call(dsl: Callable[..., Probe]) -> None:
    rows = [metric(DISK, 50, host="h2", ago="11m"), metric(DISK, 70, host="h1")]
    assert monitor_hosts(dsl(rows).all(DISK)) == ["h1"]
    assert monitor_hosts(dsl().all(DISK, window="20m")) == ["h1", "h2"]
    assert monitor_hosts(dsl().all(DISK, window="PT30S")) == []
    assert monitor_hosts(dsl().all(DISK, window=720)) == ["h1", "h2"]
    assert monitor_hosts(dsl().all(DISK, window=0)) == []  # (at, at] is empty, not the default window


def test_the_configured_window_applies() -> None:
    class Wide(Monitor):
        def run(self) -> None:
            self.emit("Seen", warning=self.all(DISK) > 0)

    rows = [metric(DISK, 50, host="h2", ago="11m"), metric(DISK, 70, host="h1")]
    assert [p.host for p in run_monitor(Wide, rows)] == ["h1"]
    assert [p.host for p in run_monitor(Wide, rows, window="15m")] == ["h1", "h2"]


def monitor_hosts(vector: Vector) -> list[str | None]:
    return [e.host for e in vector]


def test_aggregates_are_per_cluster_over_the_hosts_latest_values(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(
        [
            metric(DISK, 1000, host="h1", ago="5m"),  # older than h1's latest: in no aggregate
            metric(DISK, 10, host="h1"),
            metric(DISK, 20, host="h2"),
            metric(DISK, 30, host="h3"),
            metric(DISK, 99, host="h4", ago="20m"),  # out of the window: in no aggregate
            metric(DISK, 5, host="b1", cluster="beta"),
        ]
    )
    assert monitor.max(DISK).to_list() == [{"cluster": "alpha", "value": 30.0}, {"cluster": "beta", "value": 5.0}]
    assert monitor.min(DISK).values() == {("alpha", None): 10.0, ("beta", None): 5.0}
    assert monitor.sum(DISK).values() == {("alpha", None): 60.0, ("beta", None): 5.0}
    assert monitor.avg(DISK).values() == {("alpha", None): 20.0, ("beta", None): 5.0}
    assert monitor.count(DISK).values() == {("alpha", None): 3.0, ("beta", None): 1.0}


def test_values_print_as_floats_as_in_the_seed(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(
        [
            metric("druid/overlord/taskSlot.used.count", 599, cluster="alpha", host="o1"),
            metric("druid/overlord/taskSlot.used.count", 512, cluster="beta", host="o1"),
        ]
    )
    assert repr(monitor.max("druid/overlord/taskSlot.used.count")) == (
        "[{'cluster': 'alpha', 'value': 599.0}, {'cluster': 'beta', 'value': 512.0}]"
    )


def test_names_may_contain_dots_and_unknown_paths_are_empty(dsl: Callable[..., Probe]) -> None:
    monitor = dsl([metric("kudu/tserver/server.tablets_num_running", 2500, host="t1")])
    assert monitor.all("kudu/tserver/server.tablets_num_running").values() == {("alpha", "t1"): 2500.0}
    assert monitor.all("kudu/tserver/server.tablets_num_failed").to_list() == []
    assert monitor.max("kudu/master/server.tablets_num_running").to_list() == []


def test_evaluation_at_a_past_time_sees_the_data_of_that_time_only(dsl: Callable[..., Probe]) -> None:
    dsl([metric(DISK, 1, ago="2h"), metric(DISK, 2, ago="1m")])
    assert dsl(at=AT - 7200).all(DISK).values() == {("alpha", "host1"): 1.0}
    assert dsl(at=AT - 3600).all(DISK).values() == {}
    assert dsl(at=AT).all(DISK).values() == {("alpha", "host1"): 2.0}
    assert dsl(at=AT - 7200 + 540).max(DISK).values() == {("alpha", None): 1.0}


def test_monitor_at_is_the_evaluation_time(dsl: Callable[..., Probe]) -> None:
    assert dsl(at=AT - 60).at == AT - 60


def test_the_cluster_scope_limits_every_query(dsl: Callable[..., Probe]) -> None:
    dsl([metric(DISK, 1, cluster="alpha"), metric(DISK, 2, cluster="beta"), metric(DISK, 3, cluster="gamma")])
    assert dsl(only=["alpha", "gamma"]).max(DISK).clusters() == ["alpha", "gamma"]
    assert dsl(only=[]).all(DISK).to_list() == []


def test_the_design_example_druid_monitor_runs() -> None:
    class DruidMonitor(Monitor):
        """Druid overlord task slots."""

        def run(self) -> None:
            used = (
                self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
            )
            self.emit(
                "Task slot usage",
                warning=used > self.w("druid_slot_used_percent"),
                critical=used > self.c("druid_slot_used_percent"),
                description="Task slot usage above threshold",
            )

    rows = []
    for cluster, used, total in (("alpha", 19, 20), ("beta", 10, 50), ("gamma", 17, 20), ("delta", 5, 0)):
        rows += [
            metric("druid/overlord/taskSlot.used.count", used, cluster=cluster, host="o1"),
            metric("druid/overlord/taskSlot.total.count", total, cluster=cluster, host="o1"),
        ]
    problems = run_monitor(
        DruidMonitor,
        rows,
        thresholds={"druid_slot_used_percent": {"warning": 80, "critical": 90}},
        clusters={"gamma": ClusterSetup(thresholds={"druid_slot_used_percent": {"warning": 90}})},
    )
    assert [(p.check, p.cluster, p.host, p.severity, p.value, p.compare, p.threshold) for p in problems] == [
        ("Task slot usage", "alpha", None, "critical", 95.0, ">", 90),
        ("Task slot usage", "alpha", None, "warning", 95.0, ">", 80),
    ]
    assert {p.description for p in problems} == {"Task slot usage above threshold"}


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda m: m.all("disk.used_percent"), "is not a metric path; write 'service/role/name'"),
        (lambda m: m.all("hdfs/datanode"), "is not a metric path"),
        (lambda m: m.max("hdfs//disk"), "is not a metric path"),
        (lambda m: m.all(5), "is not a metric path"),
        (lambda m: m.all(DISK, window="soon"), "window: 'soon' is not a duration"),
        (lambda m: m.sum(DISK, window=-1), "window: "),
    ],
)
def test_bad_metric_calls_are_dsl_errors(dsl: Callable[..., Probe], call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DslError) as caught:
        call(dsl())
    assert fragment in str(caught.value)


def test_an_unknown_aggregate_is_a_dsl_error(dsl: Callable[..., Probe]) -> None:
    with pytest.raises(DslError, match="unknown aggregate 'median'; use one of max, min, sum, avg, count"):
        dsl().context.metric(DISK, "median")
