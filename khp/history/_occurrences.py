"""Occurrences and problems read from history events: the common ground of the statistics and the ledger.

Pure. An *occurrence* is the life of one alert (a check on a cluster and host at one severity):
it starts with ``detected`` and ends with ``healed`` (gone before its pending time) or
``resolved`` (gone after it ``fired``). A *problem* is one episode of a check on a cluster and
host, both severities together: from the first detection of either until neither is present.
The monitors emit the warning too while the critical holds, so a critical detection nearly
always comes with a warning one; counted as one problem, it is what a person calls "the disk
was full from 10:02 to 10:40".

What became of an occurrence comes from the events about it: ``fired`` (sent to
Alertmanager), ``suppressed`` (Alertmanager held it back: its detail names maintenance, mute,
silence or inhibition), ``notified`` (a message about it reached a room; the receiver writes
``firing notification <id>`` or ``resolved notification <id>`` in the detail), ``failed``
(a delivery given up), ``flapping``/``stable`` (its alert was marked flapping, then stable again).
``notified``, ``failed`` and ``suppressed`` belong to the latest occurrence of their key that fired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._event import HistoryEvent

MAINTENANCE = "maintenance"
MUTED = "muted"
SILENCED = "silenced"
INHIBITED = "inhibited"
SUPPRESSIONS = (MAINTENANCE, MUTED, SILENCED, INHIBITED)
"""What ``suppressed`` events say held an alert back (the first word of their detail)."""

# Why an occurrence reached no room, checked in this order; a problem takes the first reason
# of its occurrences in ``EPISODE_ORDER`` (the fired occurrence explains more than the inhibited warning).
HEALED_WHILE_PENDING = "healed_while_pending"
GROUPED = "grouped"
FLAPPING = "flapping"
DELIVERY_FAILED = "delivery_failed"
STILL_PENDING = "still_pending"
NOT_NOTIFIED_YET = "not_notified_yet"
REASONS = (
    HEALED_WHILE_PENDING,
    MAINTENANCE,
    MUTED,
    SILENCED,
    INHIBITED,
    GROUPED,
    FLAPPING,
    DELIVERY_FAILED,
    STILL_PENDING,
    NOT_NOTIFIED_YET,
)
REASON_LABELS = {
    HEALED_WHILE_PENDING: "healed while pending",
    MAINTENANCE: "maintenance",
    MUTED: "muted (CRI/OFF)",
    SILENCED: "other silence",
    INHIBITED: "inhibited by its critical",
    GROUPED: "grouped (healed before its group was sent)",
    FLAPPING: "flapping (held under one notification)",
    DELIVERY_FAILED: "delivery failed",
    STILL_PENDING: "still pending at the end",
    NOT_NOTIFIED_YET: "fired, not notified yet",
}
"""The reasons as people read them (``khp stats``, the console)."""
EPISODE_ORDER = (
    MAINTENANCE,
    MUTED,
    SILENCED,
    FLAPPING,
    DELIVERY_FAILED,
    GROUPED,
    NOT_NOTIFIED_YET,
    INHIBITED,
    STILL_PENDING,
    HEALED_WHILE_PENDING,
)

_NOTIFICATION = re.compile(r"^(?:(firing|resolved) )?notification (\S+?):?(?:\s|$)")


@dataclass
class Occurrence:
    """One alert from its detection to its end (``ended_at`` None: still present at the end of the range)."""

    key: str
    check: str
    monitor: str
    cluster: str
    host: str
    severity: str
    detected_at: float
    ended_at: float | None = None
    ended_by: str = ""  # healed | resolved
    fired: bool = False
    flapping: bool = False  # detected while its alert was held firing as flapping
    suppressed: str = ""  # the last thing Alertmanager said held it back (SUPPRESSIONS)
    notified: bool = False  # a message with it firing reached a room
    failed: int = 0  # deliveries given up

    @property
    def healed(self) -> bool:
        """Gone before its pending time: never sent."""
        return self.ended_by == "healed" and not self.fired

    @property
    def reason(self) -> str | None:
        """Why no room heard of it (``REASONS``), or None when one did."""
        if self.notified:
            return None
        if not self.fired:
            if self.flapping:
                return FLAPPING
            return STILL_PENDING if self.ended_at is None else HEALED_WHILE_PENDING
        if self.flapping:
            return FLAPPING
        if self.suppressed:
            return self.suppressed
        if self.failed:
            return DELIVERY_FAILED
        return NOT_NOTIFIED_YET if self.ended_at is None else GROUPED


@dataclass
class Problem:
    """One episode of a check on a cluster and host: its occurrences of either severity."""

    check: str
    monitor: str
    cluster: str
    host: str
    detected_at: float
    occurrences: list[Occurrence] = field(default_factory=list)

    def notified(self, severity: str) -> bool:
        """Did a message about it reach the room of ``severity``?"""
        return any(o.notified and o.severity == severity for o in self.occurrences)

    @property
    def reason(self) -> str | None:
        """Why it reached no room (``REASONS``), or None when one heard of it."""
        reasons = {o.reason for o in self.occurrences}
        if None in reasons:
            return None
        return next(reason for reason in EPISODE_ORDER if reason in reasons)


@dataclass(frozen=True)
class Message:
    """One message delivered to a room (several alerts of one notification, one room)."""

    notification: str
    channel: str
    room: str
    severity: str
    cluster: str
    check: str


@dataclass
class Reading:
    """What the events of a range tell: occurrences and problems detected in it, messages delivered in it."""

    occurrences: list[Occurrence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    actions: int = 0
    unmatched: int = 0  # events about occurrences detected before the range
    flapping_started: int = 0


def read_events(events: Sequence[HistoryEvent]) -> Reading:
    """Occurrences, problems and messages of ``events`` (sorted by ``HistoryEvent.order``)."""
    reading = Reading()
    by_key: dict[str, list[Occurrence]] = {}
    open_problems: dict[tuple[str, str, str, str], tuple[Problem, set[str]]] = {}
    flapping: set[str] = set()
    messages: dict[tuple[str, str, str], Message] = {}
    for event in events:
        kind = event.kind
        if kind == "action":
            reading.actions += 1
            continue
        if kind == "flapping":
            flapping.add(event.key)
            reading.flapping_started += 1
            continue
        if kind == "stable":
            flapping.discard(event.key)
            continue
        seen = by_key.get(event.key, [])
        current = seen[-1] if seen and seen[-1].ended_at is None else None
        if kind == "detected":
            if current is None:  # a second 'detected' of an occurrence still open is the same one
                _detect(event, event.key in flapping, reading, by_key, open_problems)
            continue
        if kind in ("notified", "failed", "suppressed"):
            if kind == "notified":
                _message(event, messages)
            target = next((o for o in reversed(seen) if o.fired), None)
            if target is None:
                reading.unmatched += 1
            elif kind == "failed":
                target.failed += 1
            elif kind == "suppressed":
                target.suppressed = suppression(event.detail)
            elif notification_status(event.detail) != "resolved":
                target.notified = True
            continue
        if current is None:
            reading.unmatched += 1
        elif kind == "fired":
            current.fired = True
        else:  # healed or resolved
            current.ended_at = event.time
            current.ended_by = kind
            _end(current, open_problems)
    reading.messages = list(messages.values())
    return reading


def _detect(
    event: HistoryEvent,
    flapping: bool,
    reading: Reading,
    by_key: dict[str, list[Occurrence]],
    open_problems: dict[tuple[str, str, str, str], tuple[Problem, set[str]]],
) -> None:
    occurrence = Occurrence(
        event.key, event.check, event.monitor, event.cluster, event.host, event.severity, event.time, flapping=flapping
    )
    reading.occurrences.append(occurrence)
    by_key.setdefault(event.key, []).append(occurrence)
    where = (event.check, event.monitor, event.cluster, event.host)
    problem, open_keys = open_problems.get(where, (None, set()))
    if problem is None:
        problem = Problem(event.check, event.monitor, event.cluster, event.host, event.time)
        reading.problems.append(problem)
        open_problems[where] = (problem, open_keys)
    problem.occurrences.append(occurrence)
    open_keys.add(event.key)


def _end(occurrence: Occurrence, open_problems: dict[tuple[str, str, str, str], tuple[Problem, set[str]]]) -> None:
    where = (occurrence.check, occurrence.monitor, occurrence.cluster, occurrence.host)
    entry = open_problems.get(where)
    if entry is None:
        return
    entry[1].discard(occurrence.key)
    if not entry[1]:
        del open_problems[where]


def _message(event: HistoryEvent, messages: dict[tuple[str, str, str], Message]) -> None:
    notification = notification_id(event.detail) or f"{event.key}@{event.time:.3f}"
    where = (notification, event.channel, event.room)
    known = messages.get(where)
    if known is None or (known.severity != "critical" and event.severity == "critical"):
        messages[where] = Message(notification, event.channel, event.room, event.severity, event.cluster, event.check)


def notification_status(detail: str) -> str:
    """``firing`` or ``resolved`` as the receiver wrote it in a ``notified`` event's detail ("" if not said)."""
    match = _NOTIFICATION.match(detail)
    return (match.group(1) or "") if match else ""


def notification_id(detail: str) -> str:
    """The notification a ``notified`` event's detail names ("" if none)."""
    match = _NOTIFICATION.match(detail)
    return match.group(2) if match else ""


def suppression(detail: str) -> str:
    """The reason a ``suppressed`` event's detail starts with (``SUPPRESSIONS``); ``silenced`` if unknown."""
    word = detail.split(" ", 1)[0].strip(":")
    return word if word in SUPPRESSIONS else SILENCED
