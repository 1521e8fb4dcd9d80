"""Statistics of the history: what share of detected problems reached a room, which checks are noisy.

Pure functions over events. A *problem* here is one occurrence: it starts with ``detected``
and ends with ``healed`` (gone before its pending time, never sent) or ``resolved`` (gone
after it ``fired``). ``notified`` and ``failed`` events belong to the latest occurrence of
their key that fired. Figures count the problems detected in ``[since, until)`` and what had
become of them by ``until``; events about problems detected earlier are counted as
``unmatched``. The seed's figures are ``share_notified`` per severity: 12 % for warning,
0.89 % for critical.
"""

from __future__ import annotations

import statistics as _stats
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from khp.configuration import LEVELS, format_time

from ._event import HistoryEvent
from ._history import History

TOP = 10


@dataclass(frozen=True)
class Figures:
    """What became of a set of detected problems."""

    detected: int = 0
    healed: int = 0  # went away before their pending time
    fired: int = 0  # lasted their pending time: sent to Alertmanager
    resolved: int = 0  # fired, then went away
    open: int = 0  # neither healed nor resolved by the end of the range
    notified: int = 0  # problems with at least one message delivered to a room
    failed: int = 0  # deliveries the receiver gave up on
    share_notified: float | None = None  # notified / detected
    median_heal_seconds: float | None = None  # detected -> healed or resolved

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Noise:
    """One check among the noisiest: how often it was detected and what share of that fired."""

    check: str
    detected: int
    fired: int
    notified: int
    share_fired: float | None


@dataclass(frozen=True)
class Statistics:
    """Figures for a time range, in total and per severity, cluster and check."""

    since: float
    until: float
    cluster: str | None
    events: int
    total: Figures
    by_severity: Mapping[str, Figures] = field(default_factory=dict)
    by_cluster: Mapping[str, Figures] = field(default_factory=dict)
    by_check: Mapping[str, Figures] = field(default_factory=dict)
    noisiest: tuple[Noise, ...] = ()
    actions: int = 0  # operators' actions (maintenance, mutes)
    unmatched: int = 0  # events about problems detected before ``since``

    def as_json(self) -> dict[str, Any]:
        """The same figures as plain JSON values (times as ISO-8601, shares as fractions)."""
        return {
            "since": format_time(self.since),
            "until": format_time(self.until),
            "cluster": self.cluster,
            "events": self.events,
            "total": self.total.as_dict(),
            "by_severity": {name: f.as_dict() for name, f in self.by_severity.items()},
            "by_cluster": {name: f.as_dict() for name, f in self.by_cluster.items()},
            "by_check": {name: f.as_dict() for name, f in self.by_check.items()},
            "noisiest": [asdict(noise) for noise in self.noisiest],
            "actions": self.actions,
            "unmatched": self.unmatched,
        }


@dataclass
class _Problem:
    check: str
    cluster: str
    severity: str
    detected_at: float
    ended_at: float | None = None
    healed: bool = False
    fired: bool = False
    resolved: bool = False
    notified: bool = False
    failed: int = 0


def statistics(
    events: Iterable[HistoryEvent], since: float, until: float, cluster: str | None = None, top: int = TOP
) -> Statistics:
    """Statistics of the problems detected in ``[since, until)`` (of ``cluster``) among ``events``."""
    chosen = sorted(
        (e for e in events if since <= e.time < until and (cluster is None or e.cluster == cluster)),
        key=HistoryEvent.order,
    )
    problems, actions, unmatched = _problems(chosen)
    severities: dict[str, list[_Problem]] = {level: [] for level in LEVELS}
    for problem in problems:
        severities.setdefault(problem.severity, []).append(problem)
    by_check = _grouped(problems, lambda p: p.check)
    noisiest = sorted(by_check.items(), key=lambda item: (-item[1].detected, item[0]))[:top]
    return Statistics(
        since=since,
        until=until,
        cluster=cluster,
        events=len(chosen),
        total=_figures(problems),
        by_severity={level: _figures(group) for level, group in severities.items()},
        by_cluster=_grouped(problems, lambda p: p.cluster),
        by_check=by_check,
        noisiest=tuple(
            Noise(name, f.detected, f.fired, f.notified, _share(f.fired, f.detected)) for name, f in noisiest
        ),
        actions=actions,
        unmatched=unmatched,
    )


def statistics_json(history: History, since: float, until: float, cluster: str | None = None) -> dict[str, Any]:
    """``statistics`` of ``history`` between ``since`` and ``until``, as JSON values (for the console)."""
    return statistics(history.events(since, until, cluster), since, until, cluster).as_json()


def _problems(events: Sequence[HistoryEvent]) -> tuple[list[_Problem], int, int]:
    """Problems in the order they were detected, the number of actions, the unmatched events."""
    problems: list[_Problem] = []
    by_key: dict[str, list[_Problem]] = {}
    actions = unmatched = 0
    for event in events:
        if event.kind == "action":
            actions += 1
            continue
        seen = by_key.get(event.key, [])
        current = seen[-1] if seen and seen[-1].ended_at is None else None
        if event.kind == "detected":
            if current is None:  # a second 'detected' of a problem still open is the same problem
                problem = _Problem(event.check, event.cluster, event.severity, event.time)
                problems.append(problem)
                by_key.setdefault(event.key, []).append(problem)
            continue
        if event.kind in ("notified", "failed"):
            # Only fired problems reach a room; a notification after the end is about the last one that fired.
            target = next((p for p in reversed(seen) if p.fired), None)
            if target is None:
                unmatched += 1
            elif event.kind == "notified":
                target.notified = True
            else:
                target.failed += 1
            continue
        if current is None:
            unmatched += 1
        elif event.kind == "fired":
            current.fired = True
        else:  # healed or resolved
            current.ended_at = event.time
            current.healed = event.kind == "healed"
            current.resolved = event.kind == "resolved"
    return problems, actions, unmatched


def _figures(problems: Sequence[_Problem]) -> Figures:
    detected = len(problems)
    notified = sum(p.notified for p in problems)
    durations = [p.ended_at - p.detected_at for p in problems if p.ended_at is not None]
    return Figures(
        detected=detected,
        healed=sum(p.healed for p in problems),
        fired=sum(p.fired for p in problems),
        resolved=sum(p.resolved for p in problems),
        open=sum(p.ended_at is None for p in problems),
        notified=notified,
        failed=sum(p.failed for p in problems),
        share_notified=_share(notified, detected),
        median_heal_seconds=_stats.median(durations) if durations else None,
    )


def _grouped(problems: Sequence[_Problem], key: Any) -> dict[str, Figures]:
    groups: dict[str, list[_Problem]] = {}
    for problem in problems:
        groups.setdefault(key(problem), []).append(problem)
    return {name: _figures(groups[name]) for name in sorted(groups)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
