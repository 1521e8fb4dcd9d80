"""The monitor test kit rule authors use: rows placed before the evaluation time, one monitor, its problems."""

from __future__ import annotations

import pytest

from evaluator import Monitor, MonitorLoadError
from evaluator.testing import DEFAULT_AT, ClusterSetup, Row, build_config, log, metric, process, run_monitor
from khp.configuration import Config, EvaluationConfig, Threshold, parse_time
from khp.records import LogRow, MetricRow, ProcessState

AT = parse_time(DEFAULT_AT)


class KuduMonitor(Monitor):
    def run(self) -> None:
        running = self.all("kudu/tserver/server.tablets_num_running")
        self.emit(
            "Too many tablets",
            warning=running > self.w("kudu_tablets_num_running"),
            critical=running > self.c("kudu_tablets_num_running"),
        )


def test_the_documented_example_works() -> None:
    problems = run_monitor(
        KuduMonitor,
        [metric("kudu/tserver/server.tablets_num_running", 2500, cluster="alpha", host="t1")],
        thresholds={"kudu_tablets_num_running": {"warning": 2000, "critical": 3000}},
    )
    assert [(p.check, p.severity, p.host) for p in problems] == [("Too many tablets", "warning", "t1")]


def test_rows_are_placed_before_the_evaluation_time() -> None:
    assert metric("a/b/c", 1, ago="5m").at(AT) == MetricRow(AT - 300, "alpha", "host1", "a", "b", "c", 1.0)
    assert metric("a/b/c.d", 2, cluster="beta", host="h", ago=0).at(AT) == MetricRow(
        AT, "beta", "h", "a", "b", "c.d", 2.0
    )
    assert log("hbase/regionserver/responseToo*", "x").at(AT) == LogRow(
        AT - 60, "alpha", "host1", "hbase", "regionserver", "WARN", "x"
    )
    assert process("hdfs-datanode", "FATAL", spawnerr="e", ago="PT2M").at(AT) == ProcessState(
        AT - 120, "alpha", "host1", "hdfs-datanode", "FATAL", spawnerr="e"
    )
    assert isinstance(metric("a/b/c", 1), Row)


def test_records_can_be_given_directly_and_at_any_time() -> None:
    rows = [MetricRow(AT - 3600 - 30, "alpha", "t1", "kudu", "tserver", "server.tablets_num_running", 2500)]
    limits = {"kudu_tablets_num_running": {"warning": 2000}}
    assert run_monitor(KuduMonitor, rows, thresholds=limits) == []
    assert [p.host for p in run_monitor(KuduMonitor, rows, thresholds=limits, at=AT - 3600)] == ["t1"]
    assert [p.host for p in run_monitor(KuduMonitor, rows, thresholds=limits, at="2026-11-29T09:00:00Z")] == ["t1"]


def test_only_clusters_limits_the_run() -> None:
    rows = [metric("kudu/tserver/server.tablets_num_running", 2500, cluster=c, host="t1") for c in ("alpha", "beta")]
    limits = {"kudu_tablets_num_running": {"warning": 2000}}
    assert [p.cluster for p in run_monitor(KuduMonitor, rows, thresholds=limits, only_clusters=["beta"])] == ["beta"]


def test_problems_are_sorted_by_check_cluster_host_and_severity() -> None:
    rows = [
        metric("kudu/tserver/server.tablets_num_running", 5000, cluster=c, host=h)
        for c, h in (("beta", "t2"), ("alpha", "t2"), ("alpha", "t1"))
    ]
    problems = run_monitor(KuduMonitor, rows, thresholds={"kudu_tablets_num_running": {"warning": 1, "critical": 2}})
    assert [(p.cluster, p.host, p.severity) for p in problems] == [
        ("alpha", "t1", "critical"),
        ("alpha", "t1", "warning"),
        ("alpha", "t2", "critical"),
        ("alpha", "t2", "warning"),
        ("beta", "t2", "critical"),
        ("beta", "t2", "warning"),
    ]


def test_a_monitors_exception_propagates() -> None:
    class Broken(Monitor):
        def run(self) -> None:
            raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError, match="oops"):
        run_monitor(Broken)


def test_unknown_thresholds_fail_as_at_load_time() -> None:
    with pytest.raises(MonitorLoadError, match=r"KuduMonitor \(.*\) uses threshold 'kudu_tablets_num_running'"):
        run_monitor(KuduMonitor, [])


def test_build_config_layers_thresholds_and_clusters_on_a_base() -> None:
    base = Config(file="khp.yml", thresholds={"a": Threshold(1, 2)}, evaluation=EvaluationConfig(pending=60))
    config = build_config(
        {"b": {"warning": 3}},
        {
            "alpha": ClusterSetup(
                thresholds={"a": None, "b": {"critical": 4}}, hosts={"h1": ["hdfs/datanode"]}, pending="2m"
            )
        },
        base,
        window="PT20M",
    )
    assert dict(config.thresholds) == {"a": Threshold(1, 2), "b": Threshold(3, None)}
    assert config.threshold("a", "alpha", "warning") is None
    assert config.threshold("b", "alpha", "critical") == 4
    assert config.threshold("a", "beta", "critical") == 2
    alpha = config.clusters["alpha"]
    assert (dict(alpha.hosts), alpha.pending) == ({"h1": ("hdfs/datanode",)}, 120)
    assert (config.evaluation.window, config.evaluation.pending, config.file) == (1200, 60, "khp.yml")
