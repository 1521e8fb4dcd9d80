"""Statistics of the history: the noise ledger, and what became of each severity's alerts.

Pure functions over events. Figures count what was detected in ``[since, until)`` and what
had become of it by ``until``; events about occurrences detected earlier are ``unmatched``.
Two counts of what reached people, named the same everywhere (stats, console, backtest):

* **problems notified**: distinct problems (or alerts, in the per-severity figures) a message
  reached a room about while they were firing, counted per room severity;
* **notifications sent**: messages delivered to rooms (one notification to two rooms is two).

The headline is the ledger (``_ledger``); ``Figures`` are per alert of one severity, as the
alert bridge sends them (a critical problem raises its warning alert too).
"""

from __future__ import annotations

import statistics as _stats
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from khp.configuration import LEVELS, format_time

from ._event import HistoryEvent
from ._history import History
from ._ledger import Ledger, ledger, share
from ._occurrences import REASONS, Message, Occurrence, read_events


@dataclass(frozen=True)
class Figures:
    """What became of a set of alerts (occurrences of one severity) detected in the range."""

    detected: int = 0
    healed: int = 0  # went away before their pending time
    fired: int = 0  # lasted their pending time: sent to Alertmanager
    resolved: int = 0  # fired, then went away
    open: int = 0  # neither healed nor resolved by the end of the range
    problems_notified: int = 0  # alerts a message reached a room about while they fired
    notifications_sent: int = 0  # messages delivered to rooms in the range
    failed: int = 0  # deliveries the receiver gave up on
    share_notified: float | None = None  # problems_notified / detected
    median_heal_seconds: float | None = None  # detected -> healed or resolved
    not_notified: Mapping[str, int] = field(default_factory=dict)  # why the others reached no room (REASONS)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["not_notified"] = dict(self.not_notified)
        return found


@dataclass(frozen=True)
class Statistics:
    """The ledger of a time range, and the per-severity figures, in total and per cluster and check."""

    since: float
    until: float
    cluster: str | None
    events: int
    ledger: Ledger
    total: Figures
    by_severity: Mapping[str, Figures] = field(default_factory=dict)
    by_cluster: Mapping[str, Figures] = field(default_factory=dict)
    by_check: Mapping[str, Figures] = field(default_factory=dict)
    actions: int = 0  # operators' actions (maintenance, mutes)
    unmatched: int = 0  # events about problems detected before ``since``

    def as_json(self) -> dict[str, Any]:
        """The same figures as plain JSON values (times as ISO-8601, shares as fractions)."""
        return {
            "since": format_time(self.since),
            "until": format_time(self.until),
            "cluster": self.cluster,
            "events": self.events,
            "ledger": self.ledger.as_json(),
            "total": self.total.as_dict(),
            "by_severity": {name: f.as_dict() for name, f in self.by_severity.items()},
            "by_cluster": {name: f.as_dict() for name, f in self.by_cluster.items()},
            "by_check": {name: f.as_dict() for name, f in self.by_check.items()},
            "actions": self.actions,
            "unmatched": self.unmatched,
        }


def statistics(events: Iterable[HistoryEvent], since: float, until: float, cluster: str | None = None) -> Statistics:
    """Statistics of what was detected in ``[since, until)`` (of ``cluster``) among ``events``."""
    chosen = sorted(
        (e for e in events if since <= e.time < until and (cluster is None or e.cluster == cluster)),
        key=HistoryEvent.order,
    )
    reading = read_events(chosen)
    occurrences, messages = reading.occurrences, reading.messages
    severities: dict[str, list[Occurrence]] = {level: [] for level in LEVELS}
    for occurrence in occurrences:
        severities.setdefault(occurrence.severity, []).append(occurrence)
    return Statistics(
        since=since,
        until=until,
        cluster=cluster,
        events=len(chosen),
        ledger=ledger(reading),
        total=_figures(occurrences, messages),
        by_severity={
            level: _figures(group, [m for m in messages if m.severity == level]) for level, group in severities.items()
        },
        by_cluster=_grouped(occurrences, messages, lambda o: o.cluster),
        by_check=_grouped(occurrences, messages, lambda o: o.check),
        actions=reading.actions,
        unmatched=reading.unmatched,
    )


def statistics_json(history: History, since: float, until: float, cluster: str | None = None) -> dict[str, Any]:
    """``statistics`` of ``history`` between ``since`` and ``until``, as JSON values (for the console)."""
    return statistics(history.events(since, until, cluster), since, until, cluster).as_json()


def _figures(occurrences: Sequence[Occurrence], messages: Sequence[Message]) -> Figures:
    detected = len(occurrences)
    notified = sum(o.notified for o in occurrences)
    durations = [o.ended_at - o.detected_at for o in occurrences if o.ended_at is not None]
    reasons = Counter(o.reason for o in occurrences if o.reason is not None)
    return Figures(
        detected=detected,
        healed=sum(o.healed for o in occurrences),
        fired=sum(o.fired for o in occurrences),
        resolved=sum(o.ended_by == "resolved" for o in occurrences),
        open=sum(o.ended_at is None for o in occurrences),
        problems_notified=notified,
        notifications_sent=len(messages),
        failed=sum(o.failed for o in occurrences),
        share_notified=share(notified, detected),
        median_heal_seconds=_stats.median(durations) if durations else None,
        not_notified={reason: reasons[reason] for reason in REASONS if reasons[reason]},
    )


def _grouped(
    occurrences: Sequence[Occurrence], messages: Sequence[Message], key: Callable[[Any], str]
) -> dict[str, Figures]:
    groups: dict[str, list[Occurrence]] = {}
    for occurrence in occurrences:
        groups.setdefault(key(occurrence), []).append(occurrence)
    sent: dict[str, list[Message]] = {}
    for message in messages:
        sent.setdefault(key(message), []).append(message)
    return {name: _figures(groups[name], sent.get(name, [])) for name in sorted(groups)}
