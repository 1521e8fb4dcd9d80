"""``replay_history``: the pipeline of ``khp run`` over a past period, at the period's own time, into the history.

At each evaluation time of the period the monitors run as of that time (the sources answer as
they did then), and the alert bridge takes the cycle as in ``khp run``: pending, firing,
resolved, no data, flapping, on the bridge's own state machine, kept in memory (the running
evaluator's state in the store is left alone). Its transitions become history events stamped
with that evaluation time, exactly as ``khp run`` records them.

Nothing is sent. Alertmanager is ``NotificationEstimate``: groups per (alertname, cluster)
within each severity's route, ``group_wait``, ``group_interval`` and ``repeat_interval`` of the
rendered routes and each cluster's own, critical inhibiting warning. Each notification it
would send becomes what the receiver records for it: a ``notified`` event per alert of the
notification and room of its receiver, at the time of the flush. A firing warning held back
by its critical gets the ``suppressed`` event ``khp run`` records when it reads Alertmanager.
Not replayed: silences and maintenance (their past is not kept), failed deliveries, and
Alertmanager or receiver restarts. The same period replayed again with the same data and
configuration records nothing new (each event has a stable identity).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alert_bridge import FIRING, AlertBridge
from evaluator import Evaluator, Monitor, diff_problems
from khp.backtest import Period
from khp.backtest._notifications import Key, Notification, NotificationEstimate
from khp.configuration import Config, StoreConfig, format_duration, format_time
from khp.history import History, HistoryEvent
from khp.routing import alert_rooms
from khp.sources import Sources

from ._pipeline import transitions

Progress = Callable[[int, int], None]  # (evaluation times done, in all)
_RECORD_EVERY = 60  # evaluation times between writes to the history


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay recorded, and what it cost."""

    period: Period
    clusters: tuple[str, ...] | None
    monitors: tuple[str, ...]
    events: Counter[str] = field(default_factory=Counter)  # recorded, per kind
    notifications: int = 0  # webhook calls Alertmanager would have made
    messages: int = 0  # notifications times the rooms of their receiver: what the receiver delivers
    failed: Counter[str] = field(default_factory=Counter)  # monitor -> evaluation times it failed
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "since": format_time(self.period.first),
            "until": format_time(self.period.last),
            "step": self.period.step,
            "evaluations": self.period.count,
            "clusters": list(self.clusters) if self.clusters is not None else None,
            "monitors": list(self.monitors),
            "events": dict(sorted(self.events.items())),
            "notifications": self.notifications,
            "messages": self.messages,
            "failed": dict(sorted(self.failed.items())),
            "seconds": round(self.seconds, 3),
        }

    def lines(self) -> list[str]:
        """The summary as ``khp replay`` prints it."""
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.events.most_common())
        scope = f" of {', '.join(self.clusters)}" if self.clusters else ""
        lines = [
            f"replayed {self.period} ({self.period.count:,} evaluations{scope}) in {_took(self.seconds)}",
            f"recorded {sum(self.events.values()):,} events: {kinds or 'none'}",
            f"{self.notifications:,} notifications would have been sent ({self.messages:,} messages to rooms)",
        ]
        for monitor, count in self.failed.most_common():
            lines.append(f"{monitor} failed at {count:,} of the evaluations (see khp check --at TIME)")
        return lines


def replay_history(
    config: Config,
    monitors: Sequence[type[Monitor]],
    period: Period,
    sources: Sources,
    history: History,
    clusters: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Run ``monitors`` at every time of ``period`` through the alert bridge and record the history."""
    began = time.perf_counter()
    scope = tuple(clusters) if clusters is not None else None
    bridge_config = dataclasses.replace(
        config,
        store=StoreConfig(path=Path(":memory:"), retention=config.store.retention),
        alertmanager=dataclasses.replace(config.alertmanager, urls=()),
    )
    recorder = _Recorder(config, history)
    notices = NotificationEstimate(config, listener=recorder.notified)
    failed: Counter[str] = Counter()
    active: dict = {}
    with (
        Evaluator(config, sources, monitors) as evaluator,
        AlertBridge(bridge_config, evaluation_stamps=True) as bridge,
    ):
        recorder.bridge = bridge
        try:
            for done, at in enumerate(period, start=1):
                result = evaluator.cycle(at=at, clusters=scope)
                failed.update(result.failed_monitors)
                notices.advance(at, inclusive=False)  # what Alertmanager sends between two evaluations
                report = bridge.process(result, clusters=scope)
                # as khp run: problems held without data stay active, and so do the "No data" ones raised
                held = [problem.key for problem in report.held]
                current = [*result.problems, *report.raised]
                changes = diff_problems(active, current, result.failed_monitors, unknown=held)
                active = changes.active
                recorder.add(transitions(at, changes, report, bridge.flapping.cycle))
                for problem in report.fired:
                    notices.fire(problem.key, at)
                for problem in [*report.resolved, *report.nodata_resolved]:
                    notices.resolve(problem.key, at)
                recorder.add(recorder.inhibited(at))
                notices.advance(at, inclusive=True)
                if done % _RECORD_EVERY == 0:
                    recorder.flush()
                if progress is not None:
                    progress(done, period.count)
        finally:
            recorder.flush()  # an interrupted replay keeps the history up to where it stopped
    return ReplaySummary(
        period=period,
        clusters=scope,
        monitors=tuple(m.monitor_name() for m in monitors),
        events=recorder.kinds,
        notifications=recorder.notifications,
        messages=recorder.messages,
        failed=failed,
        seconds=time.perf_counter() - began,
    )


class _Recorder:
    """The events of the replay, written to the history in batches, counted per kind."""

    def __init__(self, config: Config, history: History) -> None:
        self.config = config
        self.history = history
        self.bridge: AlertBridge | None = None
        self.kinds: Counter[str] = Counter()
        self.notifications = 0
        self.messages = 0
        self._waiting: list[HistoryEvent] = []
        self._rooms: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
        self._told: set[Key] = set()  # firing warnings known to be inhibited

    def add(self, events: Sequence[HistoryEvent]) -> None:
        self._waiting += events
        self.kinds.update(event.kind for event in events)

    def flush(self) -> None:
        if self._waiting:
            self.history.record(self._waiting)
            self._waiting = []

    def notified(self, notification: Notification) -> None:
        """What the receiver records for a notification: ``notified`` per alert and room."""
        _check, cluster, severity = notification.group
        rooms = self._rooms_of(cluster, severity)
        self.notifications += 1
        self.messages += len(rooms)
        name = _notification_id(notification)
        events = [
            self._event(notification.at, "notified", key, channel=channel, room=room, detail=f"{status} {name}")
            for channel, room in rooms
            for status, keys in (("firing", notification.firing), ("resolved", notification.resolved))
            for key in sorted(keys, key=_order)
        ]
        self.add(events)

    def inhibited(self, at: float) -> list[HistoryEvent]:
        """``suppressed`` for each firing warning newly held back by its firing critical."""
        assert self.bridge is not None
        firing = [key for key, state in self.bridge.states.items() if state.phase == FIRING]
        criticals = {(k[0], k[2], k[3]) for k in firing if k[4] == "critical"}
        held = {k for k in firing if k[4] == "warning" and (k[0], k[2], k[3]) in criticals}
        events = [
            self._event(at, "suppressed", key, detail=f"inhibited by the critical alert of {key[0]!r} (replayed)")
            for key in sorted(held - self._told, key=_order)
        ]
        self._told = held
        return events

    def _event(self, at: float, kind: str, key: Key, **fields: Any) -> HistoryEvent:
        check, monitor, cluster, host, severity = key
        labels = {"alertname": check, "monitor": monitor, "cluster": cluster or "", "host": host or ""}
        state = self.bridge.states.get(key) if self.bridge is not None else None
        if state is not None and kind == "notified":
            fields = {**fields, "value": state.problem.value, "threshold": state.problem.threshold}
        return HistoryEvent.for_labels(at, kind, {**labels, "severity": severity}, **fields)

    def _rooms_of(self, cluster: str, severity: str) -> tuple[tuple[str, str], ...]:
        found = self._rooms.get((cluster, severity))
        if found is None:
            rooms = alert_rooms(self.config, cluster or None, severity)
            found = self._rooms[(cluster, severity)] = tuple(_split(room) for room in rooms)
        return found


def _took(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else format_duration(seconds)


def _split(room: str) -> tuple[str, str]:
    channel, _sep, target = room.partition(":")
    return channel, target


def _notification_id(notification: Notification) -> str:
    """``notification <id>``: one id per flush of a group, the same in every replay of it."""
    check, cluster, severity = notification.group
    text = f"{check}\x1f{cluster}\x1f{severity}\x1f{notification.at:.3f}"
    return f"notification replay-{hashlib.sha1(text.encode()).hexdigest()[:16]}"


def _order(key: Key) -> tuple[str, ...]:
    return tuple(part or "" for part in key)
