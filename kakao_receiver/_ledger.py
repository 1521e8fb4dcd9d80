"""What each room was told: the last status of every alert that went into a message to it.

A room's message leaves out an alert only when it is an exact repeat of what that room was last
told about it (same status, within ``duplicate_window``: Alertmanager retrying, or both
Alertmanagers of an HA pair sending it). A change of status, such as FIRING after a RESOLVED,
is never a repeat, whatever its ``startsAt`` and however soon; the same status after the window
is Alertmanager's ``repeat_interval`` reminder, sent again.

``plan`` is pure: it groups the rooms that get the same alerts and gives each group a delivery
id that two processes deciding the same thing at once compute alike (the outbox stores it once).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ._statefile import StateFile
from ._webhook import Alert, Notification


@dataclass(frozen=True)
class Told:
    """The last status a room was told about an alert, and when that message was accepted."""

    status: str
    accepted: float


@dataclass(frozen=True)
class Share:
    """One message: the rooms that get it, the alerts in it, its delivery id, and what the ledger
    said of them when it was planned (``before``); ``reminder`` when every alert repeats what the
    rooms were told longer than the window ago."""

    id: str
    rooms: tuple[str, ...]
    alerts: tuple[Alert, ...]
    reminder: bool
    before: Mapping[tuple[str, str], Told | None]

    @property
    def entries(self) -> list[tuple[str, str, str]]:
        """(room, fingerprint, status) this message tells."""
        return [(room, a.fingerprint, a.status) for room in self.rooms for a in self.alerts]


class Ledger:
    """The ``alert_ledger`` table: (room, fingerprint) -> ``Told``."""

    def __init__(self, state: StateFile) -> None:
        self.state = state

    def told(self, rooms: Iterable[str], fingerprints: Iterable[str]) -> dict[tuple[str, str], Told]:
        wanted_rooms, wanted = list(rooms), list(dict.fromkeys(fingerprints))
        if not wanted_rooms or not wanted:
            return {}
        return self.state.run("read the ledger of", lambda conn: _read(conn, wanted_rooms, wanted))

    def record(self, entries: Iterable[tuple[str, str, str]], accepted: float) -> None:
        """(room, fingerprint, status) were put in messages accepted at ``accepted``."""
        self.state.run("write the ledger of", lambda conn: _write(conn, entries, accepted), write=True)

    @staticmethod
    def claim(
        conn: sqlite3.Connection,
        before: Mapping[tuple[str, str], Told | None],
        entries: Iterable[tuple[str, str, str]],
        accepted: float,
    ) -> bool:
        """Inside the outbox's transaction: if the ledger still says ``before``, note ``entries`` (room,
        fingerprint, status) as told and say yes; if another process told these rooms meanwhile, no."""
        if before:
            found = _read(conn, {room for room, _ in before}, {fp for _, fp in before})
            if {key: found[key] for key in before if key in found} != {
                k: v for k, v in before.items() if v is not None
            }:
                return False
        _write(conn, entries, accepted)
        return True


def _read(conn: sqlite3.Connection, rooms: Iterable[str], fingerprints: Iterable[str]) -> dict[tuple[str, str], Told]:
    """What the ledger says of these alerts in these rooms, in one query."""
    wanted_rooms, wanted = list(rooms), list(fingerprints)
    sql = (
        "SELECT room, fingerprint, status, accepted FROM alert_ledger"
        f" WHERE room IN ({', '.join('?' * len(wanted_rooms))})"
        f" AND fingerprint IN ({', '.join('?' * len(wanted))})"
    )
    rows = conn.execute(sql, [*wanted_rooms, *wanted]).fetchall()
    return {(room, fp): Told(status, accepted) for room, fp, status, accepted in rows}


def _write(conn: sqlite3.Connection, entries: Iterable[tuple[str, str, str]], accepted: float) -> None:
    rows = [(room, fp, status, accepted) for room, fp, status in entries]
    sql = (
        "INSERT INTO alert_ledger (room, fingerprint, status, accepted) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (room, fingerprint) DO UPDATE SET status = excluded.status, accepted = excluded.accepted"
    )
    conn.executemany(sql, rows)


def repeats(told: Told | None, status: str, now: float, window: float) -> bool:
    """Is telling ``status`` now an exact repeat of what was told, inside the window?"""
    return told is not None and told.status == status and told.accepted > now - window


def plan(
    notification: Notification,
    alerts: Sequence[Alert],
    rooms: Sequence[str],
    told: Mapping[tuple[str, str], Told],
    now: float,
    window: float,
) -> list[Share]:
    """The messages ``alerts`` of ``notification`` make for ``rooms``, leaving out exact repeats."""
    groups: dict[tuple, list[str]] = {}
    kept_of: dict[tuple, tuple[Alert, ...]] = {}
    for room in rooms:
        kept = tuple(a for a in alerts if not repeats(told.get((room, a.fingerprint)), a.status, now, window))
        if not kept:
            continue
        before = tuple(
            (a.fingerprint, a.status, *_told(told.get((room, a.fingerprint)))) for a in kept
        )  # what the rooms were told decides the id: a retry computes the same one, a change another
        groups.setdefault(before, []).append(room)
        kept_of[before] = kept
    shares = []
    everything = {a.fingerprint for a in notification.alerts}
    for before, members in groups.items():
        kept = kept_of[before]
        fresh = all(entry[2] is None for entry in before)
        reminder = all(entry[2] == entry[1] for entry in before)
        whole = {a.fingerprint for a in kept} == everything
        if whole and (fresh or reminder):
            delivery = notification.id  # as before: a first message, or Alertmanager's reminder of it
        else:
            text = "\n".join([notification.id, *(f"{fp}|{st}|{was}|{when}" for fp, st, was, when in before)])
            delivery = hashlib.sha256(text.encode()).hexdigest()[:32]
        was = {(room, a.fingerprint): told.get((room, a.fingerprint)) for room in members for a in kept}
        shares.append(Share(delivery, tuple(members), kept, reminder and not fresh, was))
    return shares


def _told(told: Told | None) -> tuple[str | None, float | None]:
    return (None, None) if told is None else (told.status, told.accepted)
