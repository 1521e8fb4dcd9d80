"""Statistics over planted histories with known answers, the seed's 12 % / 0.89 % among them."""

from __future__ import annotations

import pytest

from khp.history import REASONS, HistoryEvent, statistics
from tests.history.planted import START, fired, healed, labels, seed_history

DISK_A = labels("Disk full", "alpha", "warning", host="dn1")
DISK_B = labels("Disk full", "beta", "warning", host="dn1")
DEAD = labels("Dead DataNodes", "alpha", "critical")


def test_the_seed_shares_of_problems_that_reached_a_room() -> None:
    stats = statistics(seed_history(), START, START + 1200 * 3600)
    warning, critical = stats.by_severity["warning"], stats.by_severity["critical"]
    assert (warning.detected, warning.healed, warning.fired, warning.resolved, warning.problems_notified) == (
        100,
        88,
        12,
        12,
        12,
    )
    assert warning.share_notified == 0.12
    assert (critical.detected, critical.fired, critical.problems_notified) == (1124, 10, 10)
    assert round(critical.share_notified * 100, 2) == 0.89
    assert stats.total.detected == 1224 and stats.total.problems_notified == 22
    assert stats.total.median_heal_seconds == 120.0
    # as problems (a check on a cluster and host): the seed's planted data is per severity, so each
    # detection here is a problem of its own and both rooms share one denominator
    assert stats.ledger.total.detected == 1224
    assert stats.ledger.total.problems_notified == {"warning": 12, "critical": 10, "any": 22}
    assert stats.ledger.total.not_notified["healed_while_pending"] == 1202
    assert [(row.name, row.detected, row.problems_notified["any"]) for row in stats.ledger.by_check] == [
        ("Disk full", 100, 12),
        ("Task slot usage", 1124, 10),
    ]
    assert stats.by_cluster["beta"].detected == 50 and stats.by_cluster["beta"].share_notified == 0.12
    assert stats.unmatched == 0 and stats.actions == 0


def test_figures_per_cluster_and_check_with_open_failed_and_median() -> None:
    events = [
        *healed(START, DISK_A),  # 2 minutes
        *fired(START + 600, DISK_A),  # resolved after 30 minutes, notified
        *fired(START, DISK_B, delivered=False),  # 30 minutes, the delivery failed
        HistoryEvent.for_labels(START + 100, "detected", DEAD),  # still pending at the end
        HistoryEvent.for_labels(START + 200, "detected", DEAD),  # the same problem seen again: not a new one
        HistoryEvent(START + 50, "action", key="maintenance", cluster="beta", actor="kim", detail="maintenance 1h"),
    ]
    stats = statistics(events, START, START + 7200)
    assert stats.events == len(events)
    assert stats.total.detected == 4
    assert (stats.total.healed, stats.total.fired, stats.total.resolved, stats.total.open) == (1, 2, 2, 1)
    assert (stats.total.problems_notified, stats.total.failed) == (1, 1)
    assert stats.total.median_heal_seconds == 1800.0  # of 120, 1800, 1800
    assert stats.by_cluster["alpha"].detected == 3 and stats.by_cluster["alpha"].open == 1
    assert stats.by_cluster["beta"].failed == 1 and stats.by_cluster["beta"].problems_notified == 0
    assert stats.by_check["Disk full"].detected == 3 and stats.by_check["Disk full"].share_notified == pytest.approx(
        1 / 3
    )
    assert stats.by_check["Dead DataNodes"].median_heal_seconds is None
    assert stats.by_severity["critical"].share_notified == 0.0
    assert stats.actions == 1


def test_a_range_counts_problems_detected_in_it_and_what_became_of_them_by_its_end() -> None:
    events = fired(START, DISK_A) + fired(START + 3600, DISK_A)
    # From the second detection on: the first problem's events are unmatched (none fall in it).
    later = statistics(events, START + 3600, START + 3600 + 320)
    assert later.total.detected == 1 and later.total.fired == 1 and later.total.open == 1
    assert later.total.problems_notified == 0  # the message came 10 s after the end of the range
    assert later.unmatched == 0
    middle = statistics(events, START + 310, START + 3600 + 1)
    assert middle.total.detected == 1
    assert middle.unmatched == 2  # the first problem's notification and resolution


def test_a_notification_after_the_resolution_belongs_to_the_problem_that_fired() -> None:
    events = [
        HistoryEvent.for_labels(START, "detected", DISK_A),
        HistoryEvent.for_labels(START + 300, "fired", DISK_A),
        HistoryEvent.for_labels(START + 400, "resolved", DISK_A),
        HistoryEvent.for_labels(START + 410, "detected", DISK_A),  # flaps back before the message went out
        HistoryEvent.for_labels(START + 430, "notified", DISK_A, channel="kakaowork", room="10001"),
        HistoryEvent.for_labels(START + 450, "healed", DISK_A),
    ]
    stats = statistics(events, START, START + 3600)
    assert stats.total.detected == 2 and stats.total.problems_notified == 1
    assert stats.total.share_notified == 0.5
    assert (stats.total.healed, stats.total.resolved) == (1, 1)


def test_cluster_filter_and_empty_ranges() -> None:
    events = healed(START, DISK_A) + healed(START, DISK_B)
    only_beta = statistics(events, START, START + 3600, cluster="beta")
    assert only_beta.total.detected == 1 and list(only_beta.by_cluster) == ["beta"]
    empty = statistics([], START, START + 60)
    assert empty.total.detected == 0 and empty.total.share_notified is None
    assert list(empty.by_severity) == ["warning", "critical"]
    assert empty.ledger.total.detected == 0 and empty.ledger.by_check == ()


def test_json_has_the_same_figures() -> None:
    stats = statistics(seed_history(), START, START + 1200 * 3600)
    shown = stats.as_json()
    assert shown["since"] == "2026-11-29T10:00:00Z"
    assert shown["by_severity"]["warning"]["share_notified"] == 0.12
    assert shown["by_severity"]["critical"]["detected"] == 1124
    assert shown["ledger"]["by_check"][1] == {
        "check": "Task slot usage",
        "detected": 1124,
        "problems_notified": {"warning": 0, "critical": 10, "any": 10},
        "share_notified": {"warning": 0.0, "critical": pytest.approx(10 / 1124), "any": pytest.approx(10 / 1124)},
        "notifications_sent": {"warning": 0, "critical": 10, "total": 10},
        "not_notified": {**dict.fromkeys(REASONS, 0), "healed_while_pending": 1114},
    }
    assert shown["total"] == stats.total.as_dict()
