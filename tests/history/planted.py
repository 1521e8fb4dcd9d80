"""A planted alert history with known answers, shaped like the seed's statistics.

Warning: 100 problems detected, 12 of them lasted their pending time and reached a room
(12 %). Critical: 1124 detected, 10 reached a room (0.89 %). Every healed problem heals
after 2 minutes, every fired one is resolved 30 minutes after it was detected.
"""

from __future__ import annotations

from khp.history import HistoryEvent

START = 1795946400.0  # 2026-11-29T10:00:00Z
HEAL = 120.0
RESOLVE = 1800.0
PENDING = 300.0


def labels(check: str, cluster: str, severity: str, host: str = "") -> dict[str, str]:
    monitor = {"Disk full": "host", "Task slot usage": "druid", "Dead DataNodes": "hdfs"}[check]
    return {"alertname": check, "monitor": monitor, "cluster": cluster, "host": host, "severity": severity}


def healed(at: float, problem: dict[str, str]) -> list[HistoryEvent]:
    """A problem that went away before its pending time: detected, healed."""
    return [
        HistoryEvent.for_labels(at, "detected", problem, value=91.0, threshold=90.0),
        HistoryEvent.for_labels(at + HEAL, "healed", problem),
    ]


def fired(
    at: float, problem: dict[str, str], room: str = "kakaowork:10001", delivered: bool = True
) -> list[HistoryEvent]:
    """A problem that fired, reached (or failed to reach) a room, and was resolved."""
    kind = "notified" if delivered else "failed"
    return [
        HistoryEvent.for_labels(at, "detected", problem, value=95.0, threshold=90.0),
        HistoryEvent.for_labels(at + PENDING, "fired", problem, value=95.0, threshold=90.0),
        HistoryEvent.for_labels(at + PENDING + 30, kind, problem, channel="kakaowork", room=room),
        HistoryEvent.for_labels(at + RESOLVE, "resolved", problem),
    ]


def seed_history() -> list[HistoryEvent]:
    """12 % of warnings and 0.89 % of criticals reached a room; the rest healed in 2 minutes.

    Warning ("Disk full" on alpha, beta): 100 detected, 12 fired and notified, 88 healed.
    Critical ("Task slot usage" on alpha): 1124 detected, 10 fired and notified, 1114 healed.
    Each occurrence of a key starts after the previous one ended (one hour apart).
    """
    events: list[HistoryEvent] = []
    for n in range(100):
        problem = labels("Disk full", "alpha" if n % 2 else "beta", "warning", host=f"dn{n % 10}")
        at = START + n * 3600
        events += fired(at, problem) if n < 12 else healed(at, problem)
    for n in range(1124):
        problem = labels("Task slot usage", "alpha", "critical")
        at = START + n * 3600 + 60
        events += fired(at, problem, room="kakaowork:10002") if n % 100 == 0 and n < 1000 else healed(at, problem)
    return events
