"""The evaluator's heartbeat as the receiver hears it, and whether monitoring is blind.

The alert bridge sends a heartbeat alert every resend interval, its annotation ``at`` saying
when; Alertmanager repeats it to the receiver (``khp-heartbeat``). ``last_beat`` is the newest
``at`` heard, ``heard`` when it came: Alertmanager may go on repeating an old heartbeat for a
while after the evaluator stopped, but never a newer one. Blind = nothing newer heard for
``receiver.blind_after`` (a newer beat that came late, after a partition, counts from its coming).
The state is one row beside the outbox, shared by every gunicorn worker; each transition is a
single conditional UPDATE, so exactly one process makes it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from khp.configuration import parse_time

from ._statefile import StateFile
from ._webhook import Notification


@dataclass(frozen=True)
class Sight:
    """The watch's row: the newest heartbeat, and the blindness (if any) it is in or just left."""

    last_beat: float | None = None
    heard: float | None = None
    blind_since: float | None = None
    blind_told: bool = False
    restored_from: float | None = None

    @property
    def blind(self) -> bool:
        return self.blind_since is not None


def beat_of(notification: Notification) -> float | None:
    """The newest ``at`` of the firing heartbeat alerts of a webhook (``None``: none, or unreadable)."""
    found = []
    for alert in notification.alerts:
        if alert.status != "firing":
            continue  # Alertmanager ending the heartbeat says only that it stopped, which silence says too
        try:
            found.append(parse_time(alert.annotations.get("at", "")))
        except ValueError:
            continue
    return max(found) if found else None


class Watch:
    """The ``evaluator_watch`` row."""

    def __init__(self, state: StateFile) -> None:
        self.state = state
        self._heard = False  # a heartbeat was ever heard: once true, always (``last_beat`` only moves on)

    def ever_heard(self) -> bool:
        """Whether any heartbeat was ever heard; read from the file until one was, then known."""
        if not self._heard:
            self._heard = self.sight().last_beat is not None
        return self._heard

    def sight(self) -> Sight:
        sql = "SELECT last_beat, heard, blind_since, blind_told, restored_from FROM evaluator_watch WHERE id = 1"
        row = self.state.run("read the watch of", lambda conn: conn.execute(sql).fetchone())
        return Sight(row[0], row[1], row[2], bool(row[3]), row[4])

    def beat(self, at: float, heard: float) -> None:
        """A heartbeat sent at ``at`` was heard at ``heard``; only a newer one moves the watch."""
        sql = (
            "UPDATE evaluator_watch SET last_beat = ?, heard = ? WHERE id = 1 AND (last_beat IS NULL OR last_beat < ?)"
        )
        self.state.run("note a heartbeat in", lambda conn: conn.execute(sql, (at, heard, at)), write=True)

    def go_blind(self, last_beat: float) -> bool:
        """Blind since ``last_beat``; ``False`` if another process did it, or a newer heartbeat came meanwhile."""
        sql = (
            "UPDATE evaluator_watch SET blind_since = last_beat, blind_told = 0"
            " WHERE id = 1 AND blind_since IS NULL AND last_beat = ?"
        )
        return self._changed(sql, (last_beat,))

    def told_blind(self, since: float) -> None:
        self._changed("UPDATE evaluator_watch SET blind_told = 1 WHERE id = 1 AND blind_since = ?", (since,))

    def restore(self, since: float) -> bool:
        """The blindness since ``since`` is over; ``False`` if another process ended it."""
        sql = (
            "UPDATE evaluator_watch SET blind_since = NULL, blind_told = 0, restored_from = blind_since"
            " WHERE id = 1 AND blind_since = ?"
        )
        return self._changed(sql, (since,))

    def told_restored(self, since: float) -> None:
        self._changed("UPDATE evaluator_watch SET restored_from = NULL WHERE id = 1 AND restored_from = ?", (since,))

    def _changed(self, sql: str, params: tuple) -> bool:
        def update(conn: sqlite3.Connection) -> bool:
            return bool(conn.execute(sql, params).rowcount)

        return self.state.run("update the watch of", update, write=True)
