"""A real Prometheus scrapes the exporter over loopback and answers queries about the problems."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from exporter import ExporterState, serve
from tests.realparts.prometheus import running_prometheus

from .conftest import DISK, SLOTS, known_cycle


def test_prometheus_scrapes_the_problems_and_the_health(
    tmp_path: Path, state: ExporterState, registry: CollectorRegistry
) -> None:
    state.update(known_cycle(), states={DISK.key: "firing", SLOTS.key: "pending"}, send_errors={"http://x:9093": 1})
    with (
        serve("127.0.0.1:0", registry) as exporter,
        running_prometheus(tmp_path, scrape_targets=[exporter.address]) as prometheus,
    ):
        up = prometheus.wait_for("up == 1")
        assert up[0]["metric"]["instance"] == exporter.address

        (firing,) = prometheus.wait_for('khp_problem{state="firing"}')
        assert firing["metric"] == {
            "__name__": "khp_problem",
            "check": "Disk usage",
            "monitor": "HdfsMonitor",
            "cluster": "alpha",
            "host": "a-dn1",
            "severity": "critical",
            "service": "hdfs",
            "state": "firing",
            "instance": exporter.address,
            "job": "targets",
        }
        assert firing["value"][1] == "1"

        values = prometheus.wait_for("khp_problem_value > on(check, monitor, cluster, host) khp_problem_threshold")
        assert sorted((r["metric"]["check"], r["value"][1]) for r in values) == [
            ("Disk usage", "97.5"),
            ("Task slot usage", "82"),
        ]
        by_severity = prometheus.wait_for("sum by (severity) (khp_problems)")
        assert {r["metric"]["severity"]: r["value"][1] for r in by_severity} == {"critical": "1", "warning": "2"}

        (cycles,) = prometheus.wait_for("khp_cycle_duration_seconds_count")
        assert cycles["value"][1] == "1"
        (kudu,) = prometheus.wait_for('khp_monitor_errors_total{monitor="KuduMonitor", status="failed"}')
        assert kudu["value"][1] == "1"
        sends = prometheus.wait_for("khp_alertmanager_send_errors_total")
        assert {r["metric"]["url"]: r["value"][1] for r in sends} == {
            "http://127.0.0.1:9093": "0",
            "http://x:9093": "1",
        }

        # a later cycle replaces the problems at the next scrape
        state.update(known_cycle([SLOTS]))
        prometheus.wait_for("khp_cycle_duration_seconds_count == 2")
        (remaining,) = prometheus.wait_for("khp_problem")
        assert remaining["metric"]["check"] == "Task slot usage"
