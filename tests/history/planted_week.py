"""A simulated week of alert history with known counts per outcome, as khp records it.

The monitors emit the warning alert too while the critical holds, so a critical problem comes
with a warning detection; Alertmanager inhibits that warning. Every problem below is one check
on one cluster and host; each kind is planted a known number of times, spread over the week and
over ten clusters, and ``PLANTED`` says what the noise ledger must find.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from khp.history import HistoryEvent

START = 1795737600.0  # 2026-11-27T00:00:00Z, a Friday
WEEK = 7 * 86400
UNTIL = START + WEEK
PENDING = 300.0
CLUSTERS = tuple(f"c{n:02d}" for n in range(10))
CHECKS = {
    "Disk space low": ("HostMonitor", "host"),
    "CPU usage": ("HostMonitor", "host"),
    "Task slot usage": ("DruidMonitor", "druid"),
    "Dead DataNodes": ("HdfsMonitor", "hdfs"),
}


@dataclass(frozen=True)
class Planted:
    """What the ledger of the week must say, problem by problem (a problem: both severities together)."""

    detected: int
    warning_room: int
    critical_room: int
    reasons: dict[str, int]
    warning_messages: int
    critical_messages: int
    flapping_started: int
    inhibited_warnings: int  # per-severity figure: warning alerts Alertmanager inhibited before any message


@dataclass
class _Week:
    events: list[HistoryEvent] = field(default_factory=list)
    slots: Iterator[int] = field(default_factory=itertools.count)
    messages: Iterator[int] = field(default_factory=itertools.count)

    def place(self, check: str) -> tuple[float, dict[str, str], dict[str, str]]:
        """A fresh time, cluster and host for one problem: its warning and critical labels."""
        slot = next(self.slots)
        at = START + 3600 + slot * 397.0  # about 1,500 problems fit in the week
        cluster = CLUSTERS[slot % len(CLUSTERS)]
        monitor, _service = CHECKS[check]
        host = "" if check in ("Task slot usage", "Dead DataNodes") else f"{cluster}-h{slot % 7}"
        warning = {"alertname": check, "monitor": monitor, "cluster": cluster, "host": host, "severity": "warning"}
        return at, warning, {**warning, "severity": "critical"}

    def add(self, at: float, kind: str, labels: dict[str, str], **fields: object) -> None:
        self.events.append(HistoryEvent.for_labels(at, kind, labels, **fields))  # type: ignore[arg-type]

    def message(self, at: float, labels: dict[str, str], status: str = "firing") -> None:
        room = "10001" if labels["severity"] == "warning" else "10002"
        detail = f"{status} notification m{next(self.messages)}"
        self.add(at, "notified", labels, channel="kakaowork", room=room, detail=detail)


def planted_week() -> tuple[list[HistoryEvent], Planted]:
    """The week's events (unsorted) and what they must add up to."""
    week = _Week()
    reasons = dict.fromkeys(
        (
            "healed_while_pending",
            "maintenance",
            "muted",
            "silenced",
            "inhibited",
            "grouped",
            "flapping",
            "delivery_failed",
            "still_pending",
            "not_notified_yet",
        ),
        0,
    )
    warning_messages = critical_messages = inhibited = 0

    # 620 blips: gone within the pending time; 120 of them went critical for a moment too
    for n in range(620):
        at, warning, critical = week.place("CPU usage" if n % 2 else "Disk space low")
        week.add(at, "detected", warning, value=93.0, threshold=90.0)
        if n < 120:
            week.add(at + 60, "detected", critical, value=99.0, threshold=98.0)
            week.add(at + 90, "healed", critical)
        week.add(at + 120, "healed", warning)
    reasons["healed_while_pending"] += 620

    # 80 warnings that lasted, reached the warning room, and healed (the resolution is a second message)
    for _ in range(80):
        at, warning, _critical = week.place("Disk space low")
        week.add(at, "detected", warning)
        week.add(at + PENDING, "fired", warning)
        week.message(at + PENDING + 30, warning)
        week.add(at + 2400, "resolved", warning)
        week.message(at + 2430, warning, "resolved")
        warning_messages += 2

    # 7 critical problems: both alerts fire, the warning is inhibited, the critical room hears of it
    for _ in range(7):
        at, warning, critical = week.place("Dead DataNodes")
        for labels in (warning, critical):
            week.add(at, "detected", labels)
            week.add(at + PENDING, "fired", labels)
        week.add(at + PENDING + 20, "suppressed", warning, detail="inhibited by the critical alert")
        week.message(at + PENDING + 30, critical)
        for labels in (warning, critical):
            week.add(at + 3600, "resolved", labels)
        critical_messages += 1
        inhibited += 1

    # 3 that warned first and went critical later: both rooms heard of them
    for _ in range(3):
        at, warning, critical = week.place("Task slot usage")
        week.add(at, "detected", warning)
        week.add(at + PENDING, "fired", warning)
        week.message(at + PENDING + 30, warning)
        week.add(at + 1200, "detected", critical)
        week.add(at + 1200 + PENDING, "fired", critical)
        week.message(at + 1200 + PENDING + 30, critical)
        week.add(at + 1200 + PENDING + 60, "suppressed", warning, detail="inhibited by the critical alert")
        for labels in (warning, critical):
            week.add(at + 3000, "resolved", labels)
        warning_messages += 1
        critical_messages += 1  # its warning was notified before the inhibition: not counted as inhibited

    # 45 during maintenance (10 of them critical), 25 muted (CRI on warnings, OFF on 5 criticals),
    # 6 under another silence: all fired, none reached a room
    for reason, count, with_critical, detail in (
        ("maintenance", 45, 10, "maintenance: silence 5ca5dfb4 on the cluster"),
        ("muted", 25, 5, "muted: off silence 77aa (alertname, cluster)"),
        ("silenced", 6, 0, "silenced by silence 0bee (made in Alertmanager's UI)"),
    ):
        for n in range(count):
            at, warning, critical = week.place("Disk space low")
            fired = [warning, critical] if n < with_critical else [warning]
            for labels in fired:
                week.add(at, "detected", labels)
                week.add(at + PENDING, "fired", labels)
                week.add(at + PENDING + 20, "suppressed", labels, detail=detail)
                week.add(at + 4000, "resolved", labels)
        reasons[reason] += count

    # 15 that fired and healed before their group's first message: 10 appear only as resolved in it
    for n in range(15):
        at, warning, _critical = week.place("CPU usage")
        week.add(at, "detected", warning)
        week.add(at + PENDING, "fired", warning)
        week.add(at + PENDING + 40, "resolved", warning)
        if n < 10:
            week.message(at + PENDING + 60, warning, "resolved")
            warning_messages += 1
    reasons["grouped"] += 15

    # one alert that flaps: its one notification, then 12 more comings and goings held under it
    at, warning, _critical = week.place("Task slot usage")
    week.add(at, "detected", warning)
    week.add(at + PENDING, "fired", warning)
    week.add(at + PENDING, "flapping", warning, detail="5 state changes in 1h")
    week.message(at + PENDING + 30, warning)
    week.add(at + PENDING + 60, "healed", warning, detail="while flapping")
    warning_messages += 1
    for n in range(12):
        back = at + PENDING + 120 + n * 180
        week.add(back, "detected", warning)
        week.add(back + 90, "healed", warning, detail="while flapping")
    week.add(at + PENDING + 120 + 12 * 180 + 1800, "stable", warning, detail="resolved")
    reasons["flapping"] += 12

    # 4 whose every delivery failed
    for _ in range(4):
        at, warning, _critical = week.place("Disk space low")
        week.add(at, "detected", warning)
        week.add(at + PENDING, "fired", warning)
        gave_up = {"channel": "kakaowork", "room": "10001", "detail": "firing notification x"}
        week.add(at + PENDING + 600, "failed", warning, **gave_up)
        week.add(at + 3000, "resolved", warning)
    reasons["delivery_failed"] += 4

    # at the end of the week: 2 still pending, 1 fired but not notified yet
    for n in range(3):
        labels = {
            "alertname": "CPU usage",
            "monitor": "HostMonitor",
            "cluster": "c09",
            "host": f"late{n}",
            "severity": "warning",
        }
        week.add(UNTIL - 400, "detected", labels)
        if n == 2:
            week.add(UNTIL - 100, "fired", labels)
    reasons["still_pending"] += 2
    reasons["not_notified_yet"] += 1

    detected = 620 + 80 + 7 + 3 + 45 + 25 + 6 + 15 + 13 + 4 + 3
    planted = Planted(
        detected=detected,
        warning_room=80 + 3 + 1,
        critical_room=7 + 3,
        reasons=reasons,
        warning_messages=warning_messages,
        critical_messages=critical_messages,
        flapping_started=1,
        inhibited_warnings=inhibited,
    )
    return week.events, planted
