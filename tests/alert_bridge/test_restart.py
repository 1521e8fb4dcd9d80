"""A new bridge on the same store file goes on where the last one stopped: no second page, no
lost pending time, no lost resolution."""

from __future__ import annotations

from pathlib import Path

from alert_bridge import AlertBridge
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .conftest import T0, AlertSink, config, cycle, problem
from .helpers import instant


def test_a_restart_in_the_middle_of_a_pending_period_keeps_its_pending_time(tmp_path: Path) -> None:
    disk = problem()  # pending 5 minutes (the default)
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        settings = config(tmp_path / "khp.db", [am.url])
        with AlertBridge(settings) as bridge:
            for offset in (0, 60, 120, 180):  # 3 of its 5 minutes
                bridge.process(cycle(T0 + offset, [disk]))
        with AlertBridge(settings) as bridge:
            assert bridge.states[disk.key].since == T0
            assert bridge.process(cycle(T0 + 240, [disk])).fired == []
            assert am.alerts() == []
            assert bridge.process(cycle(T0 + 300, [disk])).fired == [disk]  # 2 minutes after the restart, not 5
        (notification,) = hook.wait_for(1)
        assert notification["alerts"][0]["labels"]["host"] == "a-dn1"


def test_a_restart_while_firing_neither_pages_again_nor_resends_early(tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        settings = config(tmp_path / "khp.db", [am.url])
        with AlertBridge(settings) as bridge:
            assert bridge.process(cycle(T0, [disk])).fired == [disk]
        (first,) = hook.wait_for(1)
        started = first["alerts"][0]["startsAt"]

        with AlertBridge(settings) as bridge:
            report = bridge.process(cycle(T0 + 30, [disk]))
            assert (report.fired, report.resent, report.sent) == ([], [], {})  # not due yet
            report = bridge.process(cycle(T0 + 60, [disk]))
            assert report.resent == []  # as Prometheus: resent once more than the resend delay has passed
            report = bridge.process(cycle(T0 + 90, [disk]))
            assert report.resent == [disk] and report.delivered == {am.url: 1}
            (alert,) = am.alerts()
            assert instant(alert["startsAt"]) == instant(started)  # the same alert, not a new one
        with AlertBridge(settings) as bridge:
            assert bridge.process(cycle(T0 + 120, [])).resolved == [disk]
        notifications = hook.wait_for(2)

    assert [n["status"] for n in notifications] == ["firing", "resolved"]
    assert instant(notifications[1]["alerts"][0]["startsAt"]) == instant(started)


def test_a_resolution_that_failed_is_sent_after_a_restart(tmp_path: Path, sink: AlertSink) -> None:
    disk = problem(pending=0.0)
    settings = config(tmp_path / "khp.db", [sink.url])
    with AlertBridge(settings) as bridge:
        bridge.process(cycle(T0, [disk]))
        sink.status = 503
        report = bridge.process(cycle(T0 + 20, []))
        assert report.resolved == [disk] and "503" in report.errors[sink.url][0]
    sink.status = 200
    with AlertBridge(settings) as bridge:
        report = bridge.process(cycle(T0 + 25, []))  # long before the next repeat would be due
        assert report.delivered == {sink.url: 1} and report.repeated == []
    firing, resolution = sink.alerts
    assert resolution["labels"] == firing["labels"] and resolution["endsAt"] < firing["endsAt"]
