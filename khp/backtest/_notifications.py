"""An estimate of the notifications Alertmanager would have sent for the alerts of a replay.

It follows Alertmanager 0.25's dispatcher and notification pipeline for the routes that
``khp alertmanager-config`` renders (``send_resolved: true`` receivers):

* Alerts are grouped by ``(alertname, cluster)`` within each severity's route, so a group is
  ``(check, cluster, severity)``.
* A group is created by its first firing alert and flushed ``group_wait`` later, then every
  ``group_interval``. At a flush a notification goes out when a firing alert is new since the
  last notification of the group, when every alert of it has resolved (the resolve
  notification), when some resolved while others still fire, or, with nothing new, when more
  than ``repeat_interval`` has passed since the last one (so a 4h repeat with a 5m interval
  comes at 4h05m, as in Alertmanager). Resolved alerts leave the group after the flush that
  saw them; an empty group is removed and the next firing alert starts a new one (group_wait
  again). The last notification of a group is remembered across groups, as Alertmanager's
  notification log does.
* Critical inhibits warning with equal ``(alertname, cluster, host)``: an inhibited warning is
  left out of its group's notifications while the critical fires; a flush with nothing left
  sends nothing (Alertmanager's pipeline stops when no alert is left after its mute stages).
* Timings are the cluster's own ``routing:`` ones, else ``routing:`` of khp.yml, else
  Alertmanager's defaults (30s, 5m, 4h).

Not replayed: silences and maintenance windows, Alertmanager restarts, failed deliveries.
HA peers deduplicate, so they count once. Two counts, named as ``khp stats`` names them:

* **notifications sent**: notifications (webhook calls) per group, of every kind; the receiver
  sends each to every room of the receiver;
* **problems notified**: alerts that were in a notification while they fired (an inhibited
  warning, or an alert that resolved before its group was flushed, is not).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from khp.configuration import Config

Key = tuple[str, str, "str | None", "str | None", str]  # Problem.key: check, monitor, cluster, host, severity
GroupKey = tuple[str, str, str]  # check, cluster, severity

DEFAULT_TIMINGS = (30.0, 300.0, 14400.0)  # Alertmanager's group_wait, group_interval, repeat_interval

FIRST = "first"  # the first notification about firing alerts of a group
UPDATE = "update"  # a new firing alert joined, or some resolved while others fire
REPEAT = "repeat"  # nothing changed for longer than repeat_interval
RESOLVE = "resolve"  # every alert of the group resolved
KINDS = (FIRST, UPDATE, REPEAT, RESOLVE)


@dataclass(frozen=True)
class GroupTimings:
    """Alertmanager's batching for one cluster's routes."""

    group_wait: float
    group_interval: float
    repeat_interval: float

    @classmethod
    def for_cluster(cls, config: Config, cluster: str) -> GroupTimings:
        own = config.clusters.get(cluster)
        default = config.routing.timings
        values = []
        for name, fallback in zip(("group_wait", "group_interval", "repeat_interval"), DEFAULT_TIMINGS, strict=True):
            value = getattr(own.routing, name) if own is not None else None
            if value is None:
                value = getattr(default, name)
            values.append(fallback if value is None else value)
        return cls(*values)


@dataclass(frozen=True)
class Notification:
    """One notification the estimate counts: its group, kind, time, and the alerts it lists."""

    group: GroupKey
    kind: str  # FIRST, UPDATE, REPEAT or RESOLVE
    at: float
    firing: frozenset[Key]
    resolved: frozenset[Key]


@dataclass(frozen=True)
class _Logged:
    """The last notification of a group (Alertmanager's notification log entry)."""

    firing: frozenset[Key]
    resolved: frozenset[Key]
    at: float


@dataclass
class _Group:
    key: GroupKey
    timings: GroupTimings
    next_flush: float
    alerts: dict[Key, bool] = field(default_factory=dict)  # alert -> still firing


class NotificationEstimate:
    """Feed it alerts firing and resolving in time order; it counts the notifications per group.

    ``fire`` and ``resolve`` first run the flushes due before their time, so a flush between
    two evaluation times sees the state in between; ``advance(t)`` runs those due up to ``t``
    (call it after the changes of an evaluation time, and at the end of the period).
    """

    def __init__(self, config: Config, listener: Callable[[Notification], None] | None = None) -> None:
        self.config = config
        self.listener = listener  # told of each notification as it is counted
        self.counts: dict[GroupKey, Counter[str]] = {}  # notifications sent, per kind
        self.notified: Counter[GroupKey] = Counter()  # problems notified: alerts in a notification while firing
        self._told: set[Key] = set()  # alerts notified since they last started firing
        self._timings: dict[str, GroupTimings] = {}
        self._groups: dict[GroupKey, _Group] = {}
        self._log: dict[GroupKey, _Logged] = {}
        self._due: list[tuple[float, GroupKey]] = []
        self._criticals: Counter[tuple[str, str | None, str | None]] = Counter()

    def timings(self, cluster: str) -> GroupTimings:
        found = self._timings.get(cluster)
        if found is None:
            found = self._timings[cluster] = GroupTimings.for_cluster(self.config, cluster)
        return found

    def fire(self, key: Key, at: float) -> None:
        """The alert ``key`` starts firing at ``at``."""
        self.advance(at, inclusive=False)
        check, _monitor, cluster, host, severity = key
        if severity == "critical":
            self._criticals[(check, cluster, host)] += 1
        group_key = (check, cluster or "", severity)
        group = self._groups.get(group_key)
        if group is None:
            timings = self.timings(cluster or "")
            group = self._groups[group_key] = _Group(group_key, timings, at + timings.group_wait)
            heapq.heappush(self._due, (group.next_flush, group_key))
        group.alerts[key] = True
        self._told.discard(key)  # a new firing: it counts as notified again once a notification names it

    def resolve(self, key: Key, at: float) -> None:
        """The alert ``key`` resolves at ``at`` (the bridge sent it with ``endsAt = now``)."""
        self.advance(at, inclusive=False)
        check, _monitor, cluster, host, severity = key
        if severity == "critical":
            self._criticals[(check, cluster, host)] -= 1
            if self._criticals[(check, cluster, host)] <= 0:
                del self._criticals[(check, cluster, host)]
        group = self._groups.get((check, cluster or "", severity))
        if group is not None and key in group.alerts:
            group.alerts[key] = False

    def advance(self, until: float, inclusive: bool = True) -> None:
        """Run every flush due before ``until`` (or at it, when ``inclusive``), in time order."""
        while self._due:
            at, group_key = self._due[0]
            if at > until or (at == until and not inclusive):
                return
            heapq.heappop(self._due)
            group = self._groups.get(group_key)
            if group is None or group.next_flush != at:
                continue  # a group that is gone, or an outdated entry
            self._flush(group, at)

    def _flush(self, group: _Group, at: float) -> None:
        visible = [key for key in group.alerts if not self._inhibited(key)]
        firing = frozenset(key for key in visible if group.alerts[key])
        resolved = frozenset(key for key in visible if not group.alerts[key])
        kind = self._notification(group.key, firing, resolved, at, group.timings.repeat_interval) if visible else None
        if kind is not None:
            self.counts.setdefault(group.key, Counter())[kind] += 1
            self._log[group.key] = _Logged(firing, resolved, at)
            for key in firing - self._told:
                self._told.add(key)
                self.notified[group.key] += 1
            if self.listener is not None:
                self.listener(Notification(group.key, kind, at, firing, resolved))
        for key in [key for key, still in group.alerts.items() if not still]:
            del group.alerts[key]
        if not group.alerts:
            del self._groups[group.key]
            return
        group.next_flush = at + group.timings.group_interval
        heapq.heappush(self._due, (group.next_flush, group.key))

    def _notification(
        self, group: GroupKey, firing: frozenset[Key], resolved: frozenset[Key], at: float, repeat: float
    ) -> str | None:
        """Alertmanager's ``needsUpdate``: which notification this flush sends, if any."""
        last = self._log.get(group)
        if last is None or not last.firing:
            return FIRST if firing else None
        if not firing <= last.firing:
            return UPDATE
        if not firing:
            return RESOLVE
        if not resolved <= last.resolved:
            return UPDATE
        return REPEAT if last.at < at - repeat else None

    def _inhibited(self, key: Key) -> bool:
        check, _monitor, cluster, host, severity = key
        return severity == "warning" and (check, cluster, host) in self._criticals
