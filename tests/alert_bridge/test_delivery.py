"""What each Alertmanager is sent, exactly: stamps by the injected clock, batches, retries of
what was missed. A loopback stand-in records the requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from alert_bridge import AlertBridge, BridgeError
from alert_bridge._payload import timestamp

from .conftest import T0, AlertSink, FakeClock, config, cycle, problem


def test_stamps_follow_prometheus(tmp_path: Path, sink: AlertSink) -> None:
    clock = FakeClock(T0 + 5)
    disk = problem(pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url], interval=120.0, resend=60.0), clock=clock) as bridge:
        bridge.process(cycle(T0, [disk]))
        clock.now = T0 + 65
        bridge.process(cycle(T0 + 62, [disk]))  # more than the resend delay after the first send
        clock.now = T0 + 95
        bridge.process(cycle(T0 + 90, []))
        clock.now = T0 + 155
        bridge.process(cycle(T0 + 152, []))
    stamps = [(alert["startsAt"], alert["endsAt"]) for alert in sink.alerts]
    assert stamps == [
        (timestamp(T0 + 5), timestamp(T0 + 5 + 480)),  # endsAt = now + 4 * max(interval, resend)
        (timestamp(T0 + 5), timestamp(T0 + 65 + 480)),  # resent: same startsAt
        (timestamp(T0 + 5), timestamp(T0 + 95)),  # resolved: endsAt = now
        (timestamp(T0 + 5), timestamp(T0 + 95)),  # repeated as it was
    ]


def test_alerts_go_in_batches_to_every_alertmanager(tmp_path: Path) -> None:
    problems = [problem(host=f"h{i:04}", pending=0.0) for i in range(2500)]
    with AlertSink() as one, AlertSink() as two:
        with AlertBridge(config(tmp_path / "khp.db", [one.url, two.url])) as bridge:
            report = bridge.process(cycle(T0, problems))
            assert report.delivered == {one.url: 2500, two.url: 2500}
        for sink in (one, two):
            assert [len(post) for post in sink.posts] == [1000, 1000, 500, 1]  # the heartbeat goes last
            assert sink.posts[-1][0]["labels"] == {"alertname": "Heartbeat", "monitor": "khp", "severity": "none"}
            assert sorted(a["labels"]["host"] for a in sink.alerts) == [p.host for p in problems]


def test_a_failed_resolution_is_sent_again_at_the_next_cycle(tmp_path: Path, sink: AlertSink) -> None:
    disk = problem(pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url], retries=1), backoff=0.01) as bridge:
        bridge.process(cycle(T0, [disk]))
        sink.status = 503
        report = bridge.process(cycle(T0 + 20, []))
        bridge.flush()
        assert report.resolved == [disk] and sink.answered[-2:] == [503, 503]
        sink.status = 200
        for at in (T0 + 30, T0 + 40):
            report = bridge.process(cycle(at, []))
        assert report.sent == {}  # delivered at T0 + 30, so nothing more until the repeat is due
        assert bridge.process(cycle(T0 + 80, [])).repeated == []  # 60s after it was sent: not more than 60s
        assert bridge.process(cycle(T0 + 90, [])).repeated == [disk]
    assert [alert["endsAt"] < sink.alerts[0]["endsAt"] for alert in sink.alerts] == [False, True, True]


def test_an_alertmanager_that_was_down_gets_the_firing_alerts_it_missed(tmp_path: Path, sink: AlertSink) -> None:
    disks = [problem(host=f"h{i}", pending=0.0) for i in range(3)]
    with AlertSink() as healthy:
        with AlertBridge(config(tmp_path / "khp.db", [sink.url, healthy.url])) as bridge:
            sink.status = 500
            bridge.process(cycle(T0, disks))
            sink.status = 200
            report = bridge.process(cycle(T0 + 10, disks))
            assert report.sent == {sink.url: 3}  # only the one that missed them
            assert bridge.process(cycle(T0 + 20, disks)).sent == {}
        assert len(healthy.alerts) == 3 and len(sink.alerts) == 3


def test_a_cycle_over_some_clusters_keeps_the_others_as_they_were(tmp_path: Path, sink: AlertSink) -> None:
    alpha, beta = problem(cluster="alpha", pending=0.0), problem(cluster="beta", pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url])) as bridge:
        bridge.process(cycle(T0, [alpha, beta]))
        report = bridge.process(cycle(T0 + 90, [alpha]), clusters=["alpha"])
        assert report.resolved == [] and report.kept == [beta] and report.resent == [alpha, beta]
        report = bridge.process(cycle(T0 + 150, []), clusters=["alpha"])
        assert report.resolved == [alpha] and report.kept == [beta]


def test_a_closed_bridge_says_so(tmp_path: Path, sink: AlertSink) -> None:
    bridge = AlertBridge(config(tmp_path / "khp.db", [sink.url]))
    bridge.close()
    bridge.close()  # twice is fine
    with pytest.raises(BridgeError, match="closed; make a new AlertBridge"):
        bridge.process(cycle(T0))
    with pytest.raises(BridgeError, match="closed"):
        bridge.flush()
