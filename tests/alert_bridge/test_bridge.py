"""The bridge against a real Alertmanager 0.25 and its webhook: pending, firing, grouping,
resolving, inhibition, failed monitors, and Alertmanagers that are down or hung."""

from __future__ import annotations

import time
from pathlib import Path

from alert_bridge import AlertBridge
from evaluator import MONITOR_FAILED
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .conftest import SOURCE, T0, AlertSink, config, cycle, dead_url, problem
from .helpers import group_key, instant, notified, statuses


def test_a_problem_goes_pending_fires_grouped_and_resolves(tmp_path: Path) -> None:
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        disks = [problem(host="a-dn1"), problem(host="a-dn2", value=95.0), problem(cluster="beta", host="b-dn1")]
        with AlertBridge(config(tmp_path / "khp.db", [am.url])) as bridge:
            assert len(bridge.process(cycle(T0, disks)).pending) == 3
            for offset in (60, 120, 180, 240):
                report = bridge.process(cycle(T0 + offset, disks))
                assert report.fired == [] and report.sent == {}
            assert am.alerts() == []  # nothing reaches Alertmanager while pending

            report = bridge.process(cycle(T0 + 300, disks))
            assert report.fired == disks and report.delivered == {am.url: 3} and report.errors == {}
            fired_at = bridge.states[disks[1].key].starts_at
            assert fired_at is not None
            hook.wait_for(2)
            assert statuses(hook) == {
                group_key(alertname="Disk full", cluster="alpha"): ["firing"],
                group_key(alertname="Disk full", cluster="beta"): ["firing"],
            }
            alpha = notified(hook, alertname="Disk full", cluster="alpha")
            assert sorted(a["labels"]["host"] for a in alpha) == ["a-dn1", "a-dn2"]
            (dn2,) = [a for a in alpha if a["labels"]["host"] == "a-dn2"]
            assert dn2["labels"] == {
                "alertname": "Disk full",
                "monitor": "HdfsMonitor",
                "cluster": "alpha",
                "host": "a-dn2",
                "service": "hdfs",
                "severity": "warning",
            }
            assert dn2["annotations"] == {
                "description": "Disk usage above threshold",
                "value": "95",
                "threshold": "90",
                "compare": ">",
                "source": SOURCE,
            }
            assert dn2["generatorURL"] == SOURCE and dn2["status"] == "firing"
            assert abs(instant(dn2["startsAt"]) - fired_at) < 0.001  # startsAt = when it fired

            report = bridge.process(cycle(T0 + 360, disks[1:]))  # a-dn1 healed
            # sent at 300, so not resent at 360: as Prometheus, only once more than a minute has passed
            assert report.resolved == disks[:1] and report.resent == []
            ended = bridge.states[disks[0].key].ends_at
            assert ended is not None
            report = bridge.process(cycle(T0 + 420, []))
            assert report.resolved == disks[1:] and report.repeated == []
            report = bridge.process(cycle(T0 + 480, []))
            assert report.repeated == disks[:1]  # the resolution again, two minutes after it was sent
            hook.wait_for(4)

    assert statuses(hook) == {
        group_key(alertname="Disk full", cluster="alpha"): ["firing", "resolved"],
        group_key(alertname="Disk full", cluster="beta"): ["firing", "resolved"],
    }
    resolved = {a["labels"]["host"]: a for a in notified(hook, alertname="Disk full", cluster="alpha")[2:]}
    assert {a["status"] for a in resolved.values()} == {"resolved"}
    assert abs(instant(resolved["a-dn1"]["endsAt"]) - ended) < 0.001  # endsAt = when it resolved


def test_critical_inhibits_warning(tmp_path: Path) -> None:
    warning = problem(check="Heap usage", host="a-nn1", severity="warning", pending=0.0)
    critical = problem(check="Heap usage", host="a-nn1", severity="critical", pending=0.0)
    other = problem(check="Heap usage", host="a-nn2", severity="critical", pending=0.0)
    with (
        WebhookRecorder() as hook,
        running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am,
        AlertBridge(config(tmp_path / "khp.db", [am.url])) as bridge,
    ):
        assert bridge.process(cycle(T0, [warning, critical])).fired == [warning, critical]
        hook.wait_for(1)

        def inhibited(server: object) -> list:
            found = am.alerts(severity="warning")
            return [a for a in found if a["status"]["inhibitedBy"]]

        (held,) = am.wait_until(inhibited, what="the warning inhibited")
        (source,) = am.alerts(severity="critical")
        assert held["status"]["state"] == "suppressed" and held["status"]["inhibitedBy"] == [source["fingerprint"]]
        # a change to the group makes Alertmanager send the group's whole (uninhibited) set again
        bridge.process(cycle(T0 + 30, [warning, critical, other]))
        hook.wait_for(2)

    group = group_key(alertname="Heap usage", cluster="alpha")
    assert statuses(hook) == {group: ["firing", "firing"]}
    seen = [sorted((a["labels"]["host"], a["labels"]["severity"]) for a in n["alerts"]) for n in hook.notifications]
    assert seen == [[("a-nn1", "critical")], [("a-nn1", "critical"), ("a-nn2", "critical")]]


def test_problems_of_a_failed_monitor_keep_firing_and_its_failure_fires_too(tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    failure = problem(
        check=MONITOR_FAILED,
        cluster=None,
        host=None,
        value=None,
        compare=None,
        threshold=None,
        pending=0.0,
        service="khp",
        description="ValueError: boom",
    )
    with (
        WebhookRecorder() as hook,
        running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am,
        AlertBridge(config(tmp_path / "khp.db", [am.url])) as bridge,
    ):
        assert bridge.process(cycle(T0, [disk])).fired == [disk]
        hook.wait_for(1)
        for offset in (30, 60, 90, 120):
            report = bridge.process(cycle(T0 + offset, [failure], failed=["HdfsMonitor"]))
            assert report.kept == [disk] and report.resolved == []
            assert (disk in report.resent) == (offset == 90)  # still on its resend schedule: past 60s
            assert (failure in report.resent) == (offset == 120)  # the failure has a schedule of its own
        assert report.states == {"pending": 0, "firing": 2, "resolved": 0}
        active = {a["labels"]["alertname"]: a for a in am.alerts()}
        assert set(active) == {"Disk full", MONITOR_FAILED}
        assert all(a["status"]["state"] == "active" and instant(a["endsAt"]) > time.time() for a in active.values())
        assert "cluster" not in active[MONITOR_FAILED]["labels"]
        hook.wait_for(2)

        report = bridge.process(cycle(T0 + 150, []))  # the monitor ran again: the disk is fine
        assert report.resolved == [disk, failure]
        hook.wait_for(4)

    assert statuses(hook) == {
        group_key(alertname="Disk full", cluster="alpha"): ["firing", "resolved"],
        group_key(alertname=MONITOR_FAILED): ["firing", "resolved"],
    }


def test_a_dead_alertmanager_does_not_stop_the_other(tmp_path: Path) -> None:
    dead = dead_url()
    disk = problem(pending=0.0)
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        settings = config(tmp_path / "khp.db", [dead, am.url], retries=2)
        with AlertBridge(settings, backoff=0.05) as bridge:
            report = bridge.process(cycle(T0, [disk]))
            assert report.fired == [disk] and report.delivered[am.url] == 1
            hook.wait_for(1)
            late = bridge.flush()  # the dead one's retries end in the background
            assert late.delivered == {dead: 0}
            assert "cannot connect" in late.errors[dead][0] and "after 3 attempts" in late.errors[dead][0]
            assert bridge.states[disk.key].undelivered == {dead}  # it will get the alert when it is back


def test_a_hung_alertmanager_delays_nothing_and_gets_the_alerts_later(tmp_path: Path, sink: AlertSink) -> None:
    disk = problem(pending=0.0)
    with running_alertmanager(tmp_path / "am", webhook_config("http://127.0.0.1:9/hook")) as am:
        sink.hold.set()
        with AlertBridge(config(tmp_path / "khp.db", [sink.url, am.url], timeout=5), wait=0.5) as bridge:
            report = bridge.process(cycle(T0, [disk]))
            assert report.delivered == {am.url: 1} and [a["labels"]["host"] for a in am.alerts()] == ["a-dn1"]
            report = bridge.process(cycle(T0 + 30, []))  # resolved while the hung one still holds the firing alert
            assert report.resolved == [disk] and report.busy == [sink.url] and report.delivered == {am.url: 1}
            sink.released.set()  # the hung one answers the first request at last
            late = bridge.flush()
            assert late.delivered == {sink.url: 1}
            assert bridge.states[disk.key].undelivered == {sink.url}  # that answer was for the firing alert
            report = bridge.process(cycle(T0 + 40, []))  # before the resend interval: sent because it was missed
            assert report.sent == {sink.url: 1} and report.delivered == {sink.url: 1} and report.repeated == []
            assert bridge.states[disk.key].undelivered == frozenset()
    firing, resolution = sink.alerts
    assert instant(firing["endsAt"]) > time.time() > instant(resolution["endsAt"])
    assert firing["startsAt"] == resolution["startsAt"] and firing["labels"] == resolution["labels"]
