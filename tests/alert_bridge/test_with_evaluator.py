"""The bridge fed by the real evaluator, as ``khp run`` will feed it: a monitor's problem waits
for the monitor's pending time, fires, survives the monitor breaking, and resolves."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

from alert_bridge import AlertBridge
from evaluator import MONITOR_FAILED, Evaluator, Monitor
from khp.records import MetricRow
from khp.sources import open_sources
from khp.store import Store
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .conftest import T0, config
from .helpers import group_key, notified, statuses

BROKEN = {"now": False}


class DiskMonitor(Monitor):
    """Data disks above 90%."""

    service = "hdfs"
    pending = "2m"

    def run(self) -> None:
        if BROKEN["now"]:
            raise RuntimeError("the disk metric is gone")
        used = self.all("hdfs/datanode/disk.used_percent")
        self.emit("Disk full", warning=used > 90, description="Disk usage above 90%")


def test_the_evaluators_cycles_drive_the_bridge(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    store = Store(path)

    def disk(at: float, value: float) -> None:
        store.write_metrics([MetricRow(at - 30, "alpha", "a-dn1", "hdfs", "datanode", "disk.used_percent", value)])

    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        settings = config(path, [am.url])
        settings = dataclasses.replace(settings, file=str(tmp_path / "khp.yml"))
        with (
            Evaluator(settings, open_sources(settings, store), [DiskMonitor]) as evaluator,
            AlertBridge(settings) as bridge,
        ):

            def run(at: float) -> list[tuple[str, str]]:
                report = bridge.process(evaluator.cycle(at=at))
                moved = [("pending", p) for p in report.pending] + [("fired", p) for p in report.fired]
                moved += [("kept", p) for p in report.kept] + [("resolved", p) for p in report.resolved]
                return [(what, p.check) for what, p in moved]

            disk(T0, 95.0)
            assert run(T0) == [("pending", "Disk full")]
            assert run(T0 + 60) == []
            assert run(T0 + 120) == [("fired", "Disk full")]  # the monitor's own pending time: 2 minutes
            hook.wait_for(1)
            BROKEN["now"] = True
            try:
                assert run(T0 + 180) == [("fired", MONITOR_FAILED), ("kept", "Disk full")]
            finally:
                BROKEN["now"] = False
            hook.wait_for(2)
            disk(T0 + 240, 50.0)
            assert sorted(run(T0 + 240)) == [("resolved", "Disk full"), ("resolved", MONITOR_FAILED)]
            hook.wait_for(4)
        store.close()

    assert statuses(hook) == {
        group_key(alertname="Disk full", cluster="alpha"): ["firing", "resolved"],
        group_key(alertname=MONITOR_FAILED): ["firing", "resolved"],
    }
    (fired, _) = notified(hook, alertname="Disk full", cluster="alpha")
    assert fired["labels"] == {
        "alertname": "Disk full",
        "monitor": "DiskMonitor",
        "cluster": "alpha",
        "host": "a-dn1",
        "service": "hdfs",
        "severity": "warning",
    }
    assert fired["annotations"]["value"] == "95" and fired["annotations"]["threshold"] == "90"
    lines, first = inspect.getsourcelines(DiskMonitor.run)
    emit = first + next(i for i, line in enumerate(lines) if "self.emit(" in line)
    assert fired["annotations"]["source"] == f"tests/alert_bridge/test_with_evaluator.py#L{emit}"  # the emit line
    (failure, _) = notified(hook, alertname=MONITOR_FAILED)
    assert failure["labels"] == {
        "alertname": MONITOR_FAILED,
        "monitor": "DiskMonitor",
        "service": "khp",
        "severity": "warning",
    }
    assert "RuntimeError: the disk metric is gone" in failure["annotations"]["description"]
