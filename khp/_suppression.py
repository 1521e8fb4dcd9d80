"""What Alertmanager does with the alerts ``khp run`` sends: for ``/metrics`` and for the history.

Each cycle takes the last finished read of Alertmanager's alert states (read in the background,
so a slow Alertmanager never delays a cycle) and records a ``suppressed`` history event when a
firing alert is held back for a new reason (maintenance, muted, silenced, inhibited): the noise
ledger's reasons for problems that fired but reached no room.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from khp.configuration import Config
from khp.history import HistoryEvent
from khp.silences import AlertmanagerClient, AlertStatus, StatusKey, StatusWatch


class Suppression:
    """Alertmanager's state of each alert, as of the last read that answered."""

    def __init__(self, config: Config, watch: StatusWatch | None = None) -> None:
        if watch is None:
            client = AlertmanagerClient(config.alertmanager.urls, timeout=config.alertmanager.timeout)
            watch = StatusWatch(client)
        self.watch = watch
        self.statuses: Mapping[StatusKey, AlertStatus] = {}
        self.read_at: float | None = None
        self.failed_reads = 0  # since the last ``after_cycle``
        self._told: dict[StatusKey, str] = {}

    def after_cycle(self, at: float, firing: Iterable[StatusKey]) -> list[HistoryEvent]:
        """Take the latest read; ``suppressed`` events (at ``at``) for firing alerts held back anew."""
        self.failed_reads = 0
        reading = self.watch.poll()
        if reading is not None:
            if reading.ok:
                self.statuses, self.read_at = reading.statuses, reading.started
            else:
                self.failed_reads = 1
        events: list[HistoryEvent] = []
        told: dict[StatusKey, str] = {}
        for key in firing:
            status = self.statuses.get(key)
            if status is None or not status.suppressed:
                continue
            told[key] = status.reason
            if self._told.get(key) != status.reason:
                events.append(HistoryEvent.for_labels(at, "suppressed", labels_of(key), detail=status.describe()))
        self._told = told
        return events

    def states(self) -> dict[StatusKey, tuple[str, str]]:
        """``Problem.key`` -> (Alertmanager's state, the reason of a suppression), for the exporter."""
        return {key: (status.state, status.reason) for key, status in self.statuses.items()}

    def close(self) -> None:
        self.watch.close()


def labels_of(key: StatusKey) -> dict[str, str]:
    check, monitor, cluster, host, severity = key
    return {"alertname": check, "monitor": monitor, "cluster": cluster or "", "host": host or "", "severity": severity}
