"""Resolutions held back: Alertmanager ending a khp alert on its own, because its ``endsAt`` passed.

The alert bridge marks every resolution it sends (annotation ``resolved_by``); a resolution of
a khp alert without that mark means the evaluator stopped renewing it, most often because the
evaluator itself stopped, not because the problem healed. Such a resolution is held, per room,
until the evaluator speaks again: then the ones it confirms (Alertmanager no longer has the
alert active) are sent, and the others (it fires again) are dropped (``_lookout``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._statefile import StateFile
from ._webhook import Alert

BRIDGE_MARK = "resolved_by"  # the annotation the alert bridge puts on every resolution it sends


def expired(alert: Alert) -> bool:
    """A resolution of a khp alert that the evaluator did not send: Alertmanager's own, on expiry."""
    is_khp = bool(alert.labels.get("monitor")) and alert.severity in ("warning", "critical")
    return alert.status == "resolved" and is_khp and not alert.annotations.get(BRIDGE_MARK)


@dataclass(frozen=True)
class Held:
    """One held resolution for one room, with the webhook it came in."""

    room: str
    fingerprint: str
    receiver: str
    received: float
    alert: Mapping[str, Any]
    notification: Mapping[str, Any]


class Holding:
    """The ``held_resolutions`` table."""

    def __init__(self, state: StateFile) -> None:
        self.state = state

    def hold(
        self, entries: Iterable[tuple[str, Mapping[str, Any]]], receiver: str, body: Mapping[str, Any], at: float
    ) -> int:
        """Hold (room, raw alert) pairs of the webhook ``body``; a later one for the same room and alert replaces it."""
        pairs = list(entries)
        if pairs:
            notification = json.dumps({k: v for k, v in body.items() if k != "alerts"}, sort_keys=True)
            rows = [
                (room, str(alert["fingerprint"]), receiver, at, json.dumps(alert, sort_keys=True), notification)
                for room, alert in pairs
            ]
            sql = (
                "INSERT OR REPLACE INTO held_resolutions (room, fingerprint, receiver, received, alert, notification)"
                " VALUES (?, ?, ?, ?, ?, ?)"
            )
            self.state.run("hold a resolution in", lambda conn: conn.executemany(sql, rows), write=True)
        return len(pairs)

    def release(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Forget held resolutions, (room, fingerprint): sent, dropped, or made moot."""
        rows = list(pairs)
        if rows and self._any():  # most often none is held: a read, which waits for no writer
            sql = "DELETE FROM held_resolutions WHERE room = ? AND fingerprint = ?"
            self.state.run("release a resolution in", lambda conn: conn.executemany(sql, rows), write=True)

    def _any(self) -> bool:
        sql = "SELECT EXISTS (SELECT 1 FROM held_resolutions)"
        return bool(self.state.run("read the held resolutions of", lambda conn: conn.execute(sql).fetchone()[0]))

    def waiting(self) -> list[Held]:
        """Every held resolution, oldest first."""
        sql = (
            "SELECT room, fingerprint, receiver, received, alert, notification FROM held_resolutions"
            " ORDER BY received, room, fingerprint"
        )

        def read(conn: sqlite3.Connection) -> list[Held]:
            return [
                Held(room, fp, receiver, received, json.loads(alert), json.loads(notification))
                for room, fp, receiver, received, alert, notification in conn.execute(sql).fetchall()
            ]

        return self.state.run("read the held resolutions of", read)

    def count(self) -> int:
        return int(
            self.state.run("count", lambda conn: conn.execute("SELECT count(*) FROM held_resolutions").fetchone()[0])
        )
