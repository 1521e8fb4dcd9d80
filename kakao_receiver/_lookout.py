"""The lookout: one thread per receiver process that watches the evaluator's heartbeat.

Each pass (every ``poll`` seconds):

1. Blind: once the receiver has heard the evaluator, no newer heartbeat heard for ``blind_after``
   makes one "monitoring is blind since HH:MM (evaluator silent)" message to every critical room.
2. Held resolutions (``_holding``) are settled once the evaluator has spoken since they came:
   Alertmanager is asked which alerts are active; a held resolution of an alert no longer active
   is confirmed and sent, one of an alert firing again is dropped.
3. Restored: a heartbeat newer than the blindness settles every held resolution, then one
   "monitoring restored" message goes to every critical room.

Every message has an id fixed by the blindness (or the resolutions) it is about, so two
processes, or a pass repeated after a crash, store it once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests

from ._content import MessageContent
from ._holding import Held, Holding
from ._intake import held_body
from ._ledger import Ledger, repeats
from ._notice import blind, notice_id, restored
from ._outbox import Outbox
from ._watch import Sight, Watch
from ._webhook import Notification, WebhookError, dumps, parse_webhook

log = logging.getLogger("kakao_receiver.lookout")

POLL = 1.0
ASK_AGAIN = 30.0  # seconds before asking Alertmanager again after no Alertmanager answered
ASLEEP = 5.0  # a pass this much later than ``poll`` means the process did not run meanwhile


class ActiveAlerts:
    """Which alerts Alertmanager holds active: ``GET /api/v2/alerts`` of every URL, their fingerprints."""

    def __init__(self, urls: Sequence[str], timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        self.timeout = timeout
        self.session = session or requests.Session()

    def fingerprints(self) -> frozenset[str] | None:
        """Active in any Alertmanager that answered (an HA pair may differ for a moment); ``None`` if none did."""
        found: set[str] = set()
        answered = False
        for url in self.urls:
            try:
                response = self.session.get(f"{url}/api/v2/alerts", params={"active": "true"}, timeout=self.timeout)
                response.raise_for_status()
                alerts = response.json()
            except (requests.RequestException, ValueError) as exc:
                log.warning("cannot ask %s which alerts are active: %s", url, exc)
                continue
            answered = True
            found.update(str(alert.get("fingerprint")) for alert in alerts if isinstance(alert, dict))
        return frozenset(found) if answered else None

    def close(self) -> None:
        self.session.close()


@dataclass
class Lookout:
    """Blindness, held resolutions and restoration, for the receiver's rooms (see the module doc)."""

    watch: Watch
    holding: Holding
    ledger: Ledger
    outbox: Outbox
    alertmanager: ActiveAlerts
    critical_rooms: tuple[str, ...]
    blind_after: float
    language: str
    window: float  # receiver.duplicate_window
    render: Callable[[Notification | MessageContent, tuple[str, ...]], dict]
    clock: Callable[[], float]
    wake: Callable[[], None] = lambda: None
    poll: float = POLL

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = self.clock()  # a receiver that was down itself heard nothing: it waits blind_after first
        self._ask_after = float("-inf")

    # -- the thread --------------------------------------------------------------------------------

    def start(self) -> Lookout:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="khp-lookout", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.look()
            except Exception:  # an unreadable file or a bug must not end the watch
                log.exception("lookout pass failed; trying again in %.1fs", self.poll)
            slept = self.clock()
            self._stop.wait(self.poll)
            gap = self.clock() - slept
            if gap > self.poll + ASLEEP:
                self.woke(gap)

    def woke(self, gap: float) -> None:
        """The process did not run for ``gap`` seconds (stopped, suspended, starved of CPU): it heard
        nothing meanwhile, and the heartbeats sent to it then are still queued in its socket, so it
        waits ``blind_after`` again before saying blind, as after a start."""
        self._started = self.clock()
        log.warning(
            "the receiver did not run for %.0fs; it waits %.0fs for the evaluator's heartbeat before saying blind",
            gap, self.blind_after,
        )  # fmt: skip

    # -- one pass ----------------------------------------------------------------------------------

    def look(self) -> None:
        """One pass: tell a blindness, settle held resolutions, tell a restoration."""
        sight = self.watch.sight()
        if sight.last_beat is None:
            return  # the evaluator was never heard here: nothing to compare its silence with
        if sight.restored_from is not None:
            self._tell_restored(sight.restored_from, sight.last_beat, 0, 0)  # a pass that stopped half-way
        if not sight.blind:
            # silent = nothing newer heard for blind_after: a beat that came late (Alertmanager retrying
            # an old notification after a partition) counts from when it came, or it would restore and
            # go blind again at once
            heard = sight.heard if sight.heard is not None else sight.last_beat
            if self.clock() - max(sight.last_beat, heard, self._started) <= self.blind_after:
                self.settle(sight, everything=False)
                return
            if not self.watch.go_blind(sight.last_beat):
                return
            sight = self.watch.sight()
        assert sight.blind_since is not None
        if not sight.blind_told:
            self._tell_blind(sight.blind_since)
        if sight.last_beat is not None and sight.last_beat > sight.blind_since:
            released, dropped = self.settle(sight, everything=True)
            if self.watch.restore(sight.blind_since):
                self._tell_restored(sight.blind_since, sight.last_beat, released, dropped)

    def settle(self, sight: Sight, everything: bool) -> tuple[int, int]:
        """Send the held resolutions Alertmanager confirms, drop those firing again; (sent, dropped).

        Only resolutions held before the evaluator last spoke are settled (``everything``: all of
        them, as the evaluator is back after a blindness); nothing is settled while Alertmanager
        cannot be asked.
        """
        held = self.holding.waiting()
        if sight.last_beat is None:
            return 0, 0
        ready = held if everything else [h for h in held if h.received < sight.last_beat]
        if not ready or self.clock() < self._ask_after:
            return 0, 0
        active = self.alertmanager.fingerprints()
        if active is None:
            self._ask_after = self.clock() + ASK_AGAIN
            return 0, 0
        confirmed = [h for h in ready if h.fingerprint not in active]
        dropped = [h for h in ready if h.fingerprint in active]
        for group in _groups(confirmed):
            self._send_confirmed(group)
        self.holding.release((h.room, h.fingerprint) for h in ready)
        if confirmed or dropped:
            log.info(
                "settled held resolutions: %d confirmed and sent, %d still firing and dropped",
                len({h.fingerprint for h in confirmed}), len({h.fingerprint for h in dropped}),
            )  # fmt: skip
        return len({h.fingerprint for h in confirmed}), len({h.fingerprint for h in dropped})

    # -- messages ----------------------------------------------------------------------------------

    def _send_confirmed(self, group: list[Held]) -> None:
        now = self.clock()
        rooms = tuple(dict.fromkeys(h.room for h in group))
        alerts = list({h.fingerprint: h.alert for h in group}.values())
        try:
            notification = parse_webhook(held_body(group[0].notification, alerts))
        except WebhookError as exc:
            log.error("a held resolution cannot be read back (%s); dropped", exc)
            return
        told = self.ledger.told(rooms, (a.fingerprint for a in notification.alerts))
        rooms = tuple(
            room
            for room in rooms
            if not all(
                repeats(told.get((room, a.fingerprint)), "resolved", now, self.window) for a in notification.alerts
            )
        )
        if not rooms:
            return
        text = "\n".join(["confirmed", *rooms, *(f"{h.fingerprint}|{h.received:.6f}" for h in group)])
        ident = hashlib.sha256(text.encode()).hexdigest()[:32]
        body = dumps(held_body(group[0].notification, alerts))
        before = {(room, a.fingerprint): told.get((room, a.fingerprint)) for room in rooms for a in notification.alerts}
        entries = [(room, a.fingerprint, "resolved") for room in rooms for a in notification.alerts]

        def guard(conn: sqlite3.Connection) -> bool:  # told meanwhile (the evaluator's own RESOLVED): not again
            return Ledger.claim(conn, before, entries, now)

        self.outbox.accept(ident, notification.receiver, body, self.render(notification, rooms), math.inf, guard)
        self.wake()

    def _tell_blind(self, since: float) -> None:
        content, body = blind(since, self.language)
        if self.critical_rooms:
            self._accept(
                notice_id("blind", since), "khp-critical", dumps(body), self.render(content, self.critical_rooms)
            )
            log.warning("monitoring is blind: no heartbeat from the evaluator since %s", body["alerts"][0]["startsAt"])
        self.watch.told_blind(since)

    def _tell_restored(self, since: float, until: float, released: int, dropped: int) -> None:
        content, body = restored(since, until, released, dropped, self.language)
        if self.critical_rooms:
            ident = notice_id("restored", since)
            self._accept(ident, "khp-critical", dumps(body), self.render(content, self.critical_rooms))
            log.warning(
                "monitoring restored: the evaluator is heard again (blind since %s)", body["alerts"][0]["startsAt"]
            )
        self.watch.told_restored(since)

    def _accept(self, ident: str, receiver: str, body: str, payloads: dict) -> None:
        self.outbox.accept(ident, receiver, body, payloads, math.inf)  # once, ever: a repeat is stored once
        self.wake()


def _groups(held: list[Held]) -> list[list[Held]]:
    """Held resolutions that go in one message: same receiver and Alertmanager group, same rooms."""
    by_group: dict[tuple[str, str], list[Held]] = {}
    for h in held:
        by_group.setdefault((h.receiver, str(h.notification.get("groupKey", ""))), []).append(h)
    out: list[list[Held]] = []
    for members in by_group.values():
        by_alerts: dict[tuple[str, ...], list[Held]] = {}
        rooms_of: dict[str, set[str]] = {}
        for h in members:
            rooms_of.setdefault(h.room, set()).add(h.fingerprint)
        for room, fps in rooms_of.items():
            key = tuple(sorted(fps))
            by_alerts.setdefault(key, []).extend(h for h in members if h.room == room)
        out.extend(by_alerts.values())
    return out
