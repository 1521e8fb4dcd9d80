"""The Alertmanager estimate on its own: alerts fed by hand, notifications counted per group."""

from __future__ import annotations

from collections import Counter
from types import MappingProxyType

from khp.backtest import GroupTimings, NotificationEstimate
from khp.backtest._notifications import Notification
from khp.configuration import ClusterConfig, Config, RouteTimings, RoutingConfig

T = 1795946400.0


def alert(host: str = "", severity: str = "warning", check: str = "Disk full", cluster: str = "alpha") -> tuple:
    return (check, "HostMonitor", cluster, host or None, severity)


def config(group_wait: float = 30, group_interval: float = 300, repeat_interval: float = 3600) -> Config:
    timings = RouteTimings(group_wait, group_interval, repeat_interval)
    return Config(routing=RoutingConfig(timings=timings))


def counts(estimate: NotificationEstimate, severity: str = "warning", check: str = "Disk full") -> Counter:
    return estimate.counts.get((check, "alpha", severity), Counter())


def test_first_notification_after_group_wait_then_resolve_at_the_next_tick() -> None:
    estimate = NotificationEstimate(config())
    estimate.fire(alert("h1"), T)
    estimate.advance(T + 29)
    assert counts(estimate) == Counter()
    estimate.advance(T + 30)
    assert counts(estimate) == Counter(first=1)
    estimate.resolve(alert("h1"), T + 600)
    estimate.advance(T + 629)
    assert counts(estimate) == Counter(first=1)
    estimate.advance(T + 630)  # ticks at +30s, +5m30s, +10m30s
    assert counts(estimate) == Counter(first=1, resolve=1)


def test_an_alert_that_fires_and_resolves_within_group_wait_is_never_notified() -> None:
    estimate = NotificationEstimate(config())
    estimate.fire(alert("h1"), T)
    estimate.resolve(alert("h1"), T + 10)
    estimate.advance(T + 7200)
    assert counts(estimate) == Counter()
    assert estimate.notified == Counter()


def test_alerts_joining_and_leaving_a_group_update_it_at_most_every_group_interval() -> None:
    estimate = NotificationEstimate(config())
    estimate.fire(alert("h1"), T)
    estimate.advance(T + 60)  # first at +30s
    estimate.fire(alert("h2"), T + 60)
    estimate.fire(alert("h3"), T + 120)
    estimate.advance(T + 330)  # one update for both at +5m30s
    estimate.resolve(alert("h1"), T + 400)
    estimate.advance(T + 630)  # h1 resolved while h2, h3 fire: an update
    estimate.advance(T + 930)  # nothing new
    assert counts(estimate) == Counter(first=1, update=2)
    estimate.resolve(alert("h2"), T + 1000)
    estimate.resolve(alert("h3"), T + 1000)
    estimate.advance(T + 1230)
    assert counts(estimate) == Counter(first=1, update=2, resolve=1)
    assert estimate.notified == Counter({("Disk full", "alpha", "warning"): 3})  # four notifications, three problems


def test_repeats_come_on_the_first_tick_after_the_repeat_interval() -> None:
    estimate = NotificationEstimate(config(repeat_interval=3600))
    estimate.fire(alert("h1"), T)
    estimate.advance(T + 3 * 3600)
    # first at +30s; a tick exactly 1h later is not "more than" 1h: repeats at +1h5m30s, +2h10m30s
    assert counts(estimate) == Counter(first=1, repeat=2)


def test_a_group_is_made_again_after_it_resolved_and_waits_again() -> None:
    estimate = NotificationEstimate(config())
    estimate.fire(alert("h1"), T)
    estimate.resolve(alert("h1"), T + 100)
    estimate.advance(T + 400)  # first at +30s, resolve at +5m30s: the group is gone
    estimate.fire(alert("h1"), T + 400)
    estimate.advance(T + 429)
    assert counts(estimate) == Counter(first=1, resolve=1)
    estimate.advance(T + 430)
    assert counts(estimate) == Counter(first=2, resolve=1)
    assert estimate.notified[("Disk full", "alpha", "warning")] == 2  # it fired twice, notified each time


def test_a_flush_between_two_evaluations_sees_the_state_between_them() -> None:
    estimate = NotificationEstimate(config(group_wait=0))
    estimate.advance(T, inclusive=False)
    estimate.fire(alert("h1"), T)
    estimate.advance(T, inclusive=True)  # group_wait 0: flushed at once, after the alert is in
    assert counts(estimate) == Counter(first=1)


def test_critical_inhibits_warning_of_the_same_check_cluster_and_host() -> None:
    estimate = NotificationEstimate(config())
    estimate.fire(alert("h1", "critical"), T)
    estimate.fire(alert("h1", "warning"), T)
    estimate.fire(alert("h2", "warning", check="Memory usage"), T)
    estimate.advance(T + 3000)
    assert counts(estimate, "critical") == Counter(first=1)
    assert counts(estimate, "warning") == Counter()
    assert counts(estimate, "warning", "Memory usage") == Counter(first=1)
    assert estimate.notified[("Disk full", "alpha", "warning")] == 0  # inhibited: not a problem notified
    estimate.resolve(alert("h1", "critical"), T + 3000)
    estimate.advance(T + 3600)  # the warning still fires: now it is notified
    assert counts(estimate, "warning") == Counter(first=1)
    assert estimate.notified[("Disk full", "alpha", "warning")] == 1
    assert counts(estimate, "critical") == Counter(first=1, resolve=1)


def test_a_warning_inhibited_after_its_first_notification_sends_nothing_while_inhibited() -> None:
    estimate = NotificationEstimate(config(group_wait=0, group_interval=60))
    estimate.fire(alert("h1", "warning"), T)
    estimate.advance(T)
    estimate.fire(alert("h1", "critical"), T + 60)
    estimate.advance(T + 600)  # every alert of the warning's group is muted: Alertmanager sends nothing
    assert counts(estimate, "warning") == Counter(first=1)
    estimate.resolve(alert("h1", "warning"), T + 600)
    estimate.advance(T + 1200)  # nor the resolution it cannot show
    assert counts(estimate, "warning") == Counter(first=1)


def test_a_listener_hears_each_notification_with_its_alerts() -> None:
    heard: list[Notification] = []
    estimate = NotificationEstimate(config(group_wait=30, group_interval=300), listener=heard.append)
    estimate.fire(alert("h1"), T)
    estimate.fire(alert("h2"), T + 10)
    estimate.resolve(alert("h1"), T + 100)
    estimate.advance(T + 400)

    group = ("Disk full", "alpha", "warning")
    assert heard == [
        Notification(group, "first", T + 30, frozenset({alert("h1"), alert("h2")}), frozenset()),
        Notification(group, "update", T + 330, frozenset({alert("h2")}), frozenset({alert("h1")})),
    ]


def test_timings_per_cluster_fall_back_to_the_defaults() -> None:
    own = ClusterConfig(name="alpha", routing=RouteTimings(repeat_interval=600.0))
    configured = Config(
        routing=RoutingConfig(timings=RouteTimings(group_wait=60.0, group_interval=None, repeat_interval=7200.0)),
        clusters=MappingProxyType({"alpha": own}),
    )
    assert GroupTimings.for_cluster(configured, "alpha") == GroupTimings(60.0, 300.0, 600.0)
    assert GroupTimings.for_cluster(configured, "beta") == GroupTimings(60.0, 300.0, 7200.0)
