"""Two Alertmanagers in a gossip cluster: the bridge sends to both; one dies mid-run; every group
is still notified, exactly once."""

from __future__ import annotations

from pathlib import Path

from alert_bridge import AlertBridge
from tests.realparts.alertmanager import WebhookRecorder, running_pair, webhook_config

from .conftest import T0, config, cycle, problem
from .helpers import counter, group_key, statuses

NOTIFIED = 'alertmanager_notifications_total{integration="webhook"}'
MERGED = "alertmanager_nflog_gossip_messages_propagated_total"  # notification-log entries merged from the peer


def test_every_group_is_notified_exactly_once_when_one_alertmanager_dies(tmp_path: Path) -> None:
    disks = [problem(cluster=name, host=None, pending=0.0) for name in ("alpha", "beta", "gamma")]
    namenodes = [problem(check="NameNode down", cluster=name, host=None, pending=0.0) for name in ("alpha", "beta")]
    with (
        WebhookRecorder() as hook,
        running_pair(tmp_path, webhook_config(hook.url)) as (first, second),
        AlertBridge(config(tmp_path / "khp.db", [first.url, second.url])) as bridge,
    ):
        report = bridge.process(cycle(T0, disks))
        assert report.delivered == {first.url: 3, second.url: 3}  # every Alertmanager gets every alert
        hook.wait_for(3)
        notifier, survivor = (first, second) if counter(first, NOTIFIED) else (second, first)
        # the survivor must know what the other notified before it dies, as in any HA failover
        survivor.wait_until(lambda am: counter(am, MERGED) >= 3, what="the notification log gossiped")
        notifier.kill()

        report = bridge.process(cycle(T0 + 30, disks + namenodes))
        assert report.fired == namenodes and report.delivered == {survivor.url: 2, notifier.url: 0}
        assert "cannot connect" in report.errors[notifier.url][0]
        hook.wait_for(5)
        report = bridge.process(cycle(T0 + 60, []))
        assert report.resolved == disks + namenodes and report.delivered[survivor.url] == 5
        hook.wait_for(10)

    every = {group_key(alertname="Disk full", cluster=c) for c in ("alpha", "beta", "gamma")}
    every |= {group_key(alertname="NameNode down", cluster=c) for c in ("alpha", "beta")}
    assert statuses(hook) == {group: ["firing", "resolved"] for group in every}
