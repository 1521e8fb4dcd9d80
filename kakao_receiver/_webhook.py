"""Alertmanager's webhook (version 4) parsed into frozen records; this module does no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from khp.configuration import parse_time

ZERO_TIME = "0001-01-01T00:00:00Z"


class WebhookError(ValueError):
    """A webhook body that is not Alertmanager's version 4 payload; the message says what is wrong."""


@dataclass(frozen=True)
class Alert:
    """One alert of a notification, as Alertmanager sends it."""

    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float
    ends_at: float | None
    generator_url: str
    fingerprint: str

    @property
    def check(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def cluster(self) -> str:
        return self.labels.get("cluster", "")

    @property
    def host(self) -> str:
        return self.labels.get("host", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")


@dataclass(frozen=True)
class Notification:
    """One webhook: one group of alerts for one receiver."""

    receiver: str
    status: str
    group_key: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str
    alerts: tuple[Alert, ...]
    truncated_alerts: int = 0

    @cached_property  # asked for several times per webhook; a frozen record's never changes
    def id(self) -> str:
        """The same for the same notification retried by Alertmanager, different for any change."""
        parts = [self.receiver, self.group_key, self.status]
        parts += sorted(f"{a.fingerprint}|{a.status}|{a.starts_at}|{a.ends_at}" for a in self.alerts)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    @property
    def cluster(self) -> str:
        return self.group_labels.get("cluster") or self.common_labels.get("cluster", "")

    @property
    def severity(self) -> str:
        return self.common_labels.get("severity", "")


def parse_webhook(payload: Any) -> Notification:
    """Read a decoded webhook body; raise ``WebhookError`` naming the first field that is wrong."""
    if not isinstance(payload, Mapping):
        raise WebhookError(f"expected a JSON object, got {type(payload).__name__}")
    if str(payload.get("version")) != "4":
        raise WebhookError(f'version must be "4" (Alertmanager\'s webhook), got {payload.get("version")!r}')
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise WebhookError("alerts must be a non-empty list")
    status = _choice(payload, "status", ("firing", "resolved"))
    return Notification(
        receiver=_text(payload, "receiver"),
        status=status,
        group_key=_text(payload, "groupKey"),
        group_labels=_labels(payload, "groupLabels"),
        common_labels=_labels(payload, "commonLabels"),
        common_annotations=_labels(payload, "commonAnnotations"),
        external_url=_text(payload, "externalURL", required=False),
        alerts=tuple(_alert(alert, index) for index, alert in enumerate(alerts)),
        truncated_alerts=_count(payload.get("truncatedAlerts", 0)),
    )


def dumps(payload: Any) -> str:
    """A canonical JSON text of ``payload`` (sorted keys), for storing and comparing."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _alert(alert: Any, index: int) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(alert, Mapping):
        raise WebhookError(f"{where} must be an object")
    try:
        labels = _labels(alert, "labels")
        if not labels.get("alertname"):
            raise WebhookError("labels.alertname is missing")
        return Alert(
            status=_choice(alert, "status", ("firing", "resolved")),
            labels=labels,
            annotations=_labels(alert, "annotations"),
            starts_at=_time(alert, "startsAt"),
            ends_at=None if alert.get("endsAt") in (None, "", ZERO_TIME) else _time(alert, "endsAt"),
            generator_url=_text(alert, "generatorURL", required=False),
            fingerprint=_text(alert, "fingerprint"),
        )
    except WebhookError as exc:
        raise WebhookError(f"{where}.{exc}") from None


def _text(obj: Mapping[str, Any], key: str, required: bool = True) -> str:
    value = obj.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value):
        raise WebhookError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _choice(obj: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = obj.get(key)
    if value not in allowed:
        raise WebhookError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _labels(obj: Mapping[str, Any], key: str) -> Mapping[str, str]:
    value = obj.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise WebhookError(f"{key} must be an object of strings")
    return dict(value)


def _time(obj: Mapping[str, Any], key: str) -> float:
    value = obj.get(key)
    if not isinstance(value, str):
        raise WebhookError(f"{key} must be an RFC 3339 time, got {value!r}")
    try:
        return parse_time(value)
    except ValueError:
        raise WebhookError(f"{key} must be an RFC 3339 time, got {value!r}") from None


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise WebhookError(f"truncatedAlerts must be a whole number, got {value!r}")
    return value
