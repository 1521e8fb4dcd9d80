"""Alertmanager webhook bodies for the message and channel tests, as evaluator problems reach the receiver."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from kakao_receiver._webhook import Notification, parse_webhook
from khp.configuration import parse_time

STARTS = "2026-11-29T06:20:25Z"
STARTS_EPOCH = parse_time(STARTS)
SOURCE = "https://github.com/example/khp-monitor/blob/main/evaluator/monitors/druid.py#L14"


def alert(
    check: str = "Task slot usage",
    cluster: str = "alpha",
    host: str = "",
    severity: str = "critical",
    status: str = "firing",
    value: str = "46.913",
    threshold: str = "45",
    compare: str = ">",
    description: str = "Task slot 사용률 임계치 초과",
    starts: str = STARTS,
    ends: str = "0001-01-01T00:00:00Z",
    source: str = SOURCE,
) -> dict[str, Any]:
    """One alert of a webhook with khp's labels and annotations."""
    labels = {
        "alertname": check,
        "monitor": "DruidMonitor",
        "cluster": cluster,
        "service": "druid",
        "severity": severity,
    }
    if host:
        labels["host"] = host
    return {
        "status": status,
        "labels": labels,
        "annotations": {
            "description": description,
            "value": value,
            "threshold": threshold,
            "compare": compare,
            "source": source,
        },
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://127.0.0.1:9464/",
        "fingerprint": hashlib.sha256(f"{check}|{cluster}|{host}|{severity}".encode()).hexdigest()[:16],
    }


def webhook(
    *alerts: dict[str, Any],
    status: str | None = None,
    truncated: int = 0,
    external_url: str = "http://am.example.com:9093",
    group_labels: dict[str, str] | None = None,
) -> Notification:
    """A parsed notification of ``alerts`` (status: firing if any alert fires)."""
    alerts = alerts or (alert(),)
    first = alerts[0]["labels"]
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{first["alertname"]}", cluster="{first["cluster"]}"}}',
        "truncatedAlerts": truncated,
        "receiver": "khp-critical",
        "status": status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        "externalURL": external_url,
        "groupLabels": group_labels
        if group_labels is not None
        else {"alertname": first["alertname"], "cluster": first["cluster"]},
        "commonLabels": {
            name: value for name, value in first.items() if all(a["labels"].get(name) == value for a in alerts)
        },
        "commonAnnotations": {},
        "alerts": list(alerts),
    }
    return parse_webhook(body)


def resolved(**kwargs: Any) -> dict[str, Any]:
    """A resolved alert that lasted 25 minutes."""
    return alert(status="resolved", ends="2026-11-29T06:45:25Z", **kwargs)


def random_words(rng: random.Random, low: int, high: int) -> str:
    """Text of ``low`` to ``high`` characters: Korean, ASCII, long words, some newlines."""
    pieces = ["태블릿", "Task", "slot", "사용률", "regionserver", "x" * rng.randint(1, 400), "\n", "임계치 초과", "✓"]
    text = ""
    size = rng.randint(low, high)
    while len(text) < size:
        text += rng.choice(pieces) + " "
    return text[:size].strip() or "x"


def random_notification(rng: random.Random) -> Notification:
    """A group of 1-40 alerts with long, odd names and descriptions, some resolved, sometimes truncated."""
    checks = [random_words(rng, 3, 120).replace("\n", " ") for _ in range(rng.randint(1, 6))]
    clusters = [random_words(rng, 3, 60).replace("\n", " ") for _ in range(rng.randint(1, 3))]
    alerts = []
    for index in range(rng.randint(1, 40)):
        make = resolved if rng.random() < 0.3 else alert
        alerts.append(
            make(
                check=rng.choice(checks),
                cluster=rng.choice(clusters),
                host=f"host-{index}" if rng.random() < 0.7 else "",
                severity=rng.choice(["warning", "critical"]),
                value=str(rng.uniform(0, 10 ** rng.randint(0, 9))),
                description=random_words(rng, 0, 1500),
                source=SOURCE + "x" * rng.randint(0, 300),
            )
        )
    return webhook(*alerts, truncated=rng.choice([0, 0, 3, 250]))
