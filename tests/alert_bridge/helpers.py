"""Reading what Alertmanager did: notifications per group, alert times, its own counters."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder


def instant(text: str) -> float:
    """An RFC 3339 time from Alertmanager as epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def statuses(hook: WebhookRecorder) -> dict[str, list[str]]:
    """Each group's notifications in order: ``{groupKey: ["firing", "resolved"]}``."""
    found: dict[str, list[str]] = defaultdict(list)
    for notification in hook.notifications:
        found[notification["groupKey"]].append(notification["status"])
    return dict(found)


def group_key(**labels: str) -> str:
    inner = ", ".join(f'{name}="{value}"' for name, value in labels.items())
    return "{}:{" + inner + "}"


def notified(hook: WebhookRecorder, **labels: str) -> list[dict[str, Any]]:
    """The alerts of every notification of the group with these labels."""
    key = group_key(**labels)
    return [alert for n in hook.notifications if n["groupKey"] == key for alert in n["alerts"]]


def counter(server: AlertmanagerServer, line_start: str) -> float:
    """A sample of Alertmanager's own /metrics (0 when absent)."""
    _, text = server.request("GET", "/metrics")
    for line in str(text).splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
