"""History events: every problem transition and every notification, sharing one key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

EVENT_KINDS = (
    "detected",  # a problem appeared (pending starts)
    "healed",  # it went away before its pending time: never sent
    "fired",  # it lasted its pending time and was sent to Alertmanager
    "resolved",  # a fired problem went away
    "notified",  # the receiver delivered a message about it to a room
    "failed",  # the receiver gave up delivering to a room
    "action",  # an operator acted (maintenance, mute) from chat, CLI or console
    "suppressed",  # Alertmanager held a firing alert back: maintenance, muted, silenced or inhibited
    "flapping",  # the alert changed state too often: held firing, one notification, until stable
    "stable",  # a flapping alert has been stable long enough: back to normal
)
KEY_LABELS = ("alertname", "monitor", "cluster", "host", "severity")


def problem_key(labels: Mapping[str, str]) -> str:
    """The key that joins a problem's transitions with the notifications about it.

    Built from the alert labels both sides see: the evaluator's problem (check, monitor,
    cluster, host, severity) and the alert in Alertmanager's webhook.
    """
    text = "\x1f".join(f"{name}={labels.get(name, '')}" for name in KEY_LABELS)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened to a problem (or an operator's action), at ``time`` (epoch seconds)."""

    time: float
    kind: str
    key: str
    check: str = ""
    monitor: str = ""
    cluster: str = ""
    host: str = ""
    severity: str = ""
    value: float | None = None
    threshold: float | None = None
    channel: str = ""
    room: str = ""
    actor: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown history event kind {self.kind!r}; known: {', '.join(EVENT_KINDS)}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEvent:
        """The event ``as_dict`` made (other keys are ignored); ``ValueError`` if it is not one."""
        try:
            known = {name: data[name] for name in FIELDS if name in data}
            known["time"] = float(known["time"])
            for name in ("value", "threshold"):
                if known.get(name) is not None:
                    known[name] = float(known[name])
            return cls(**known)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a history event ({exc!r}): {dict(data)!r}") from None

    def identity(self) -> str:
        """A stable id: the same event always gets it, so recording it twice stores it once.

        Built from what makes an event distinct (key, kind, time, and for notifications the
        channel, room and actor), not from free text such as ``detail``.
        """
        parts = (self.key, self.kind, f"{self.time:.6f}", self.channel, self.room, self.actor)
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]

    def order(self) -> tuple[float, int, str, str, str, str]:
        """Sort key: by time; at one instant in the order of ``EVENT_KINDS`` (detected before fired)."""
        return (self.time, EVENT_KINDS.index(self.kind), self.key, self.channel, self.room, self.actor)

    @classmethod
    def for_labels(cls, time: float, kind: str, labels: Mapping[str, str], **fields: Any) -> HistoryEvent:
        """An event about the alert with these labels (check = ``alertname``)."""
        return cls(
            time=time,
            kind=kind,
            key=problem_key(labels),
            check=labels.get("alertname", ""),
            monitor=labels.get("monitor", ""),
            cluster=labels.get("cluster", ""),
            host=labels.get("host", ""),
            severity=labels.get("severity", ""),
            **fields,
        )


FIELDS = tuple(f.name for f in fields(HistoryEvent))
