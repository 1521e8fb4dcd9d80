"""What Alertmanager does with each alert now: sends it (active), or holds it back (suppressed) by a
silence (a maintenance window, a CRI/OFF mute, any other silence) or an inhibition.

``alert_statuses(alerts, silences)`` is pure: it reads the answers of ``GET /api/v2/alerts`` and
``GET /api/v2/silences``. ``StatusWatch`` asks the first Alertmanager that answers, in a
background thread, so a slow or dead Alertmanager never delays an evaluation cycle::

    watch = StatusWatch(AlertmanagerClient(config.alertmanager.urls, timeout=5.0))
    reading = watch.poll()          # the last finished read (None before the first), and start the next
    reading.statuses[problem.key]   # AlertStatus(state='suppressed', reason='maintenance', ...)

Alertmanager reports an alert silenced and inhibited at once when both apply; a silence is
named then (it is what a person did), the maintenance window first, then a mute, then another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ._client import AlertmanagerClient
from ._errors import SilenceError
from ._model import CRI, MAINTENANCE, OFF, decode

ACTIVE = "active"
SUPPRESSED = "suppressed"
UNPROCESSED = "unprocessed"
STATES = (ACTIVE, SUPPRESSED, UNPROCESSED)

# why a suppressed alert is held back: the words of the history's ``suppressed`` events
BY_MAINTENANCE = "maintenance"
BY_MUTE = "muted"
BY_SILENCE = "silenced"
BY_INHIBITION = "inhibited"
REASONS = (BY_MAINTENANCE, BY_MUTE, BY_SILENCE, BY_INHIBITION)

StatusKey = tuple[str, str, "str | None", "str | None", str]
"""An alert as ``Problem.key`` names it: check, monitor, cluster (or None), host (or None), severity."""


@dataclass(frozen=True)
class AlertStatus:
    """Alertmanager's state of one alert and, when it is suppressed, why."""

    state: str
    reason: str = ""  # one of REASONS when suppressed
    silences: tuple[str, ...] = ()  # the silences that hold it, as (kind, id) strings "maintenance 5ca5..."
    inhibited_by: tuple[str, ...] = ()  # fingerprints of the alerts that inhibit it

    @property
    def suppressed(self) -> bool:
        return self.state == SUPPRESSED

    def describe(self) -> str:
        """For people and for the history's ``suppressed`` event (its first word is the reason)."""
        if self.state != SUPPRESSED:
            return self.state
        if self.reason == BY_INHIBITION:
            return f"inhibited by the critical alert ({', '.join(self.inhibited_by) or 'unknown'})"
        return f"{self.reason}: silence {', '.join(self.silences) or 'unknown'}"


@dataclass(frozen=True)
class StatusReading:
    """One read of Alertmanager: the statuses of every alert it holds, or why it failed."""

    started: float  # when the read began (wall clock)
    statuses: Mapping[StatusKey, AlertStatus] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def status_key(labels: Mapping[str, str]) -> StatusKey:
    """The key of the alert with these labels (``cluster``/``host`` None when absent, as the bridge sends them)."""
    return (
        labels.get("alertname", ""),
        labels.get("monitor", ""),
        labels.get("cluster"),
        labels.get("host"),
        labels.get("severity", ""),
    )


def alert_statuses(
    alerts: Iterable[Mapping[str, Any]], silences: Iterable[Mapping[str, Any]]
) -> dict[StatusKey, AlertStatus]:
    """The status of each alert in ``alerts`` (``GET /api/v2/alerts``), its silences classified by ``silences``."""
    kinds: dict[str, str] = {}
    for raw in silences:
        found = decode(raw)
        if found is not None and found.id:
            kinds[found.id] = found.kind
    statuses: dict[StatusKey, AlertStatus] = {}
    for alert in alerts:
        labels = alert.get("labels") or {}
        status = alert.get("status") or {}
        state = str(status.get("state") or UNPROCESSED)
        silenced = tuple(str(s) for s in status.get("silencedBy") or ())
        inhibited = tuple(str(f) for f in status.get("inhibitedBy") or ())
        reason = ""
        if state == SUPPRESSED:
            reason = _reason(silenced, inhibited, kinds)
        named = tuple(f"{_kind_name(kinds.get(s))} {s}" for s in silenced)
        statuses[status_key(labels)] = AlertStatus(state, reason, named, inhibited)
    return statuses


def _reason(silenced: tuple[str, ...], inhibited: tuple[str, ...], kinds: Mapping[str, str]) -> str:
    found = {kinds.get(s) for s in silenced}
    if MAINTENANCE in found:
        return BY_MAINTENANCE
    if CRI in found or OFF in found:
        return BY_MUTE
    if silenced:
        return BY_SILENCE
    return BY_INHIBITION if inhibited else BY_SILENCE


def _kind_name(kind: str | None) -> str:
    return {MAINTENANCE: "maintenance", CRI: "cri", OFF: "off"}.get(kind or "", "silence")


class StatusWatch:
    """Reads Alertmanager's alert statuses in the background, one read at a time; ``poll`` never waits."""

    def __init__(self, client: AlertmanagerClient, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="khp-am-status")
        self._lock = threading.Lock()
        self._running: Future[StatusReading] | None = None

    def poll(self) -> StatusReading | None:
        """The read that finished since the last call (None if none did), and a new read started."""
        with self._lock:
            finished = None
            if self._running is not None and self._running.done():
                finished = self._running.result()
                self._running = None
            if self._running is None:
                self._running = self._pool.submit(self.read)
            return finished

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the read in flight to finish (``poll`` then hands it over)."""
        with self._lock:
            running = self._running
        if running is None:
            return True
        try:
            running.result(timeout)
        except TimeoutError:
            return False
        return True

    def read(self) -> StatusReading:
        """One read now: every alert and silence of the first Alertmanager that answers."""
        started = self.clock()
        try:
            alerts = self.client.alerts()
            silences = self.client.silences()
        except SilenceError as exc:
            return StatusReading(started, error=str(exc))
        return StatusReading(started, alert_statuses(alerts, silences))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
