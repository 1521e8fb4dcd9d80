"""Delivering the outbox: claim a due row, send it to its room, mark it, record history.

Each gunicorn worker process runs ``workers`` threads (``Workers``), each looping over
``Courier.deliver_one`` and, in batches, ``Courier.record_finished``. Nothing is dropped:

* a failure is retried with exponential backoff and jitter up to ``max_backoff``, never sooner
  than the channel's ``retry_after``, for as long as it takes; only a row whose alert is
  resolved and which is older than ``give_up_after`` is given up (``expired``);
* when a channel answers again after failing, its waiting rows are sent at once (``redrive``);
* a webhook's row (or a confirmed held resolution's) is stored unrendered (``LATER``): its
  message is composed and rendered from the notification's body when it is sent (``render``),
  with the configuration and the clock of that moment, in its plain form when the full one
  cannot be made; one that cannot be rendered at all is retried like a failed send, and logged;
* a payload the channel refuses (or that breaks its rules before sending) goes out in a simpler
  form (``Forms``); refused in its simplest form it is a dead letter (``dead``): an ERROR log
  line, a count on ``/metrics``, and a notice to the notification's other rooms (``on_dead``).

Sent and undelivered rows become history events (``notified`` / ``failed``, one per alert),
written in batches after the rows are marked (within ``RECORD_EVERY``) and replayed from the
outbox until written, at the time the row was marked, so that writing one twice stores it once
(``HistoryEvent.identity``).

The guarantee: a row is marked ``sent`` in the step right after ``send`` returns. A process
killed between the two leaves the row pending; after its lease another worker sends it again.
That window, one round trip to the channel wide, is the only way a crash repeats a message
(and a power cut, which may undo the last marks: see ``_outbox``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from khp.history import HistoryEvent

from ._channel import Channel, DeliveryError, Room
from ._forms import fit, simpler
from ._outbox import Delivery, Finished, Outbox
from ._settings import DeliverySettings
from ._webhook import Notification, parse_webhook

log = logging.getLogger(__name__)

Recorder = Callable[[Sequence[HistoryEvent]], None]
"""Where history events go: ``open_history(config).record``, or any function taking a list of events."""

POLL = 1.0  # seconds between looks for rows that other processes accepted
RECORD_EVERY = 1.0  # seconds between writes of history events, in batches, while rows keep coming
PRUNE_EVERY = 3600.0  # seconds between deletions of rows older than the retention
EXPIRE_EVERY = 60.0  # seconds between looks for rows to give up
YIELD_AT_MOST = 0.1  # seconds a delivery thread waits for a gap in the webhooks before its next send
DeadLetterHook = Callable[[Delivery, str], None]
"""Told of each dead letter (the row, and why), after it is marked: ``DeadLetterNotices``."""
Renderer = Callable[[str, Room], Mapping[str, Any]]
"""A webhook's message for a room, composed and rendered from the notification's stored body (its JSON text)."""
RENDERED_KEPT = 64  # rendered messages a courier keeps, so that the rooms of one channel share one rendering


def retry_delay(
    attempts: int,
    settings: DeliverySettings,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``attempts`` failed tries: ``backoff * 2**(attempts-1)`` capped at ``max_backoff``,
    jittered into its upper half, and never less than the channel's ``retry_after``."""
    ceiling = min(settings.max_backoff, settings.backoff * 2.0 ** min(60, max(0, attempts - 1)))
    delay = ceiling / 2 + rand() * ceiling / 2
    return max(delay, retry_after or 0.0)


class Courier:
    """Takes rows from the outbox and sends them through ``channels`` (plugin name -> channel)."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        settings: DeliverySettings,
        record: Recorder,
        *,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        retention: float = 7 * 86400.0,
        on_dead: DeadLetterHook | None = None,
        render: Renderer | None = None,
    ) -> None:
        self.outbox = outbox
        self.render = render
        self.channels = channels
        self.settings = settings
        self.record = record
        self.clock = clock
        self.rand = rand
        self.retention = retention
        self.on_dead = on_dead
        self._answering: dict[str, bool] = {}  # channel -> did its last send go through (in this process)
        self._recording = threading.Lock()  # one thread of the process writes history events at a time
        self._rendering = threading.Lock()
        self._rendered: OrderedDict[tuple[str, str, float], Mapping[str, Any]] = OrderedDict()  # (id, channel, created)

    def deliver_one(self) -> bool:
        """Claim one due row and try it once; ``False`` when no row is due."""
        delivery = self.outbox.claim(self.settings.lease)
        if delivery is None:
            return False
        room = Room.parse(delivery.room)
        channel = self.channels.get(room.channel)
        if channel is None:  # the config changed: a restart with the channel set up sends it
            known = ", ".join(self.channels)
            self._failed(delivery, f"channel {room.channel!r} is not set up in this receiver (known: {known})", None)
            return True
        if delivery.payload is None:
            rendered = self._render(delivery, room)
            if rendered is None:
                return True
            delivery = replace(delivery, payload=rendered)
        assert delivery.payload is not None
        payload, problems = fit(channel, delivery.payload)
        if problems and payload != delivery.payload:
            log.warning(
                "notification %s to %s breaks %s's rules (%s); sending a simpler form",
                delivery.notification, room, room.channel, "; ".join(problems[:3]),
            )  # fmt: skip
            if not self.outbox.simplify(delivery, payload, f"simplified before sending: {problems[0]}"):
                return True
            delivery = replace(delivery, payload=payload, level=delivery.level + 1)
        try:
            channel.send(room.target, payload)
        except DeliveryError as exc:
            if exc.rejected:
                self._refused(channel, delivery, str(exc))
            else:
                self._answering[room.channel] = False
                self._failed(delivery, str(exc), exc.retry_after, exc.permanent)
        except Exception as exc:  # a plugin bug must not stop the worker; the message is kept
            log.exception("channel %s raised while sending notification %s", room.channel, delivery.notification)
            self._failed(delivery, f"{type(exc).__name__}: {exc}", None)
        else:
            self.outbox.mark_sent(delivery)
            log.info("sent notification %s to %s (attempt %d)", delivery.notification, room, delivery.attempts)
            if not self._answering.get(room.channel, False):
                self._answering[room.channel] = True
                self._redrive(room.channel)
        return True

    def _render(self, delivery: Delivery, room: Room) -> Mapping[str, Any] | None:
        """The message of a row stored unrendered; ``None`` when it cannot be rendered now (retried later)."""
        key = (delivery.notification, room.channel, delivery.created)  # a reminder's rows are created anew
        with self._rendering:
            kept = self._rendered.get(key)
        if kept is not None:
            return kept
        stored = self.outbox.body(delivery.notification)
        try:
            if self.render is None:
                raise RuntimeError("this receiver renders no webhook messages (Courier without render)")
            if stored is None:
                raise LookupError(f"notification {delivery.notification} is not in the outbox")
            rendered = self.render(stored[1], room)
        except Exception as exc:  # a bug of the composer or a plugin must not lose the message: retried
            log.exception(
                "cannot render notification %s for %s; it is kept, to be tried again", delivery.notification, room
            )
            self._failed(delivery, f"cannot render the message: {type(exc).__name__}: {exc}", None)
            return None
        with self._rendering:
            self._rendered[key] = rendered
            while len(self._rendered) > RENDERED_KEPT:
                self._rendered.popitem(last=False)
        return rendered

    def _failed(self, delivery: Delivery, error: str, retry_after: float | None, permanent: bool = False) -> None:
        delay = retry_delay(delivery.attempts, self.settings, retry_after, self.rand)
        if self.outbox.retry_at(delivery, self.clock() + delay, error):
            log.log(
                logging.ERROR if permanent else logging.WARNING,
                "notification %s to %s: attempt %d failed, next in %.1fs%s: %s",
                delivery.notification, delivery.room, delivery.attempts, delay,
                " (this needs fixing: the room or the credentials)" if permanent else "", error,
            )  # fmt: skip

    def _refused(self, channel: Channel, delivery: Delivery, error: str) -> None:
        """The channel refused this payload: send its next simpler form now, or make it a dead letter."""
        assert delivery.payload is not None  # rendered before it was sent
        form = simpler(channel, delivery.payload, [error])
        if form is not None:
            if self.outbox.simplify(delivery, form, error):
                log.warning(
                    "notification %s to %s was refused (%s); sending a simpler form", delivery.notification,
                    delivery.room, error,
                )  # fmt: skip
            return
        why = f"{error} (refused in its simplest form: a dead letter)"
        if self.outbox.mark_dead(delivery, why) is None:
            return
        log.error(
            "DEAD LETTER: notification %s to %s could not be delivered in any form: %s. "
            "`khp outbox list --state dead` shows it, `khp outbox retry --id %d` sends it again",
            delivery.notification, delivery.room, error, delivery.rowid,
        )  # fmt: skip
        if self.on_dead is not None:
            try:
                self.on_dead(delivery, error)
            except Exception:  # the dead letter is marked and logged; the notice is extra
                log.exception("could not send a notice of the dead letter %d to other rooms", delivery.rowid)

    def _redrive(self, channel: str) -> None:
        again = self.outbox.redrive(channel)
        if again:
            log.info("channel %s answers again: %d waiting deliveries are due now", channel, again)

    def expire(self) -> int:
        """Give up rows whose alerts are resolved and which are older than ``give_up_after``; how many."""
        given_up = self.outbox.expire(
            self.clock() - self.settings.give_up_after,
            f"given up: not delivered within delivery.give_up_after ({self.settings.give_up_after:g}s) "
            "and the alert is resolved",
        )
        if given_up:
            log.error("gave up %d deliveries whose alerts are resolved (rows %s)", len(given_up), given_up[:20])
        return len(given_up)

    def prune(self) -> int:
        """Forget rows finished (and recorded) longer than ``retention`` ago; how many."""
        return self.outbox.prune(self.clock() - self.retention)

    def record_finished(self) -> int:
        """Write the history events of finished rows not written yet; how many rows were done.

        Another thread of this process doing it already, this one leaves it (0): both would read
        the same rows and build the same events (written once, by their ids), each costing the
        process's webhooks a share of the GIL. Another process may still do the same rows.
        """
        if not self._recording.acquire(blocking=False):
            return 0
        try:
            return self._record_finished()
        finally:
            self._recording.release()

    def _record_finished(self) -> int:
        done = 0
        while batch := self.outbox.unrecorded():
            bodies: dict[str, Notification] = {}  # the rows of one notification (one per room) share its body
            try:
                self.record([event for row in batch for event in history_events(row, bodies)])
            except Exception:  # the history keeps its own spool; this only fails if that failed too
                log.exception("cannot write history events of %d deliveries; will try again", len(batch))
                return done
            self.outbox.mark_recorded([row.rowid for row in batch])
            done += len(batch)
        return done


def history_events(row: Finished, bodies: dict[str, Notification] | None = None) -> list[HistoryEvent]:
    """``notified`` (sent) or ``failed`` (not delivered) for each alert of the row's notification, when marked.

    ``bodies`` keeps the notifications parsed so far, by id, for the next rows of a batch.
    """
    kind = "notified" if row.state == "sent" else "failed"
    room = Room.parse(row.room)
    bodies = {} if bodies is None else bodies
    notification = bodies.get(row.notification)
    if notification is None:
        notification = bodies[row.notification] = parse_webhook(json.loads(row.body))
    error = f": {row.error}" if row.error else ""
    # the alert's own status: a notification lists alerts that fired and ones that resolved
    return [
        HistoryEvent.for_labels(
            row.finished, kind, alert.labels, channel=room.channel, room=room.target,
            detail=f"{alert.status} notification {row.notification}{error}",
            value=_number(alert.annotations.get("value")), threshold=_number(alert.annotations.get("threshold")),
        )
        for alert in notification.alerts
    ]  # fmt: skip


class Traffic:
    """The webhooks this process is answering; the delivery threads send in the gaps between them.

    A webhook is answered only after its rows are committed, and Alertmanager waits for that
    answer (and resends on a timeout), while a row waits in the outbox at no risk: so in a
    storm the answers come first. Before each send a delivery thread waits until no webhook is
    being answered, but ``at_most`` seconds, so that sending never stops: under a load that
    never pauses each thread still sends ``1 / at_most`` messages a second, and the rest the
    moment it pauses.
    """

    def __init__(self) -> None:
        self._serving = 0
        self._changed = threading.Condition()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the answer to one webhook."""
        with self._changed:
            self._serving += 1
        try:
            yield
        finally:
            with self._changed:
                self._serving -= 1
                if not self._serving:
                    self._changed.notify_all()

    def gap(self, at_most: float) -> bool:
        """Wait until no webhook is being answered, ``at_most`` seconds; whether one came."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._serving, at_most)


class Workers:
    """``count`` delivery threads of one process; ``wake()`` starts them on a new row at once.

    Each send waits for a gap in the webhooks this process answers (``Traffic``), at most
    ``yield_at_most`` seconds.
    """

    def __init__(
        self,
        courier: Courier,
        count: int,
        *,
        poll: float = POLL,
        traffic: Traffic | None = None,
        yield_at_most: float = YIELD_AT_MOST,
    ) -> None:
        self.courier = courier
        self.count = count
        self.poll = poll
        self.traffic = traffic or Traffic()
        self.yield_at_most = yield_at_most
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._recorded_at = 0.0
        self._pruned_at = time.monotonic()
        self._expired_at = 0.0

    def start(self) -> Workers:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._run, name=f"khp-delivery-{index}", daemon=True) for index in range(self.count)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self, wait: float = 10.0) -> None:
        """Let each thread finish the message in hand, then end them."""
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._threads:
            log.info("delivery threads stopped (%d still busy)", self.alive)

    @property
    def alive(self) -> int:
        return sum(thread.is_alive() for thread in self._threads)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.traffic.gap(self.yield_at_most)
            busy = self._guarded(self.courier.deliver_one)
            if not busy or time.monotonic() - self._recorded_at > RECORD_EVERY:
                self._recorded_at = time.monotonic()
                self._guarded(self.courier.record_finished)
            if not busy and time.monotonic() - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = time.monotonic()
                self._guarded(self.courier.prune)
            if time.monotonic() - self._expired_at > EXPIRE_EVERY:
                self._expired_at = time.monotonic()
                self._guarded(self.courier.expire)
            if not busy:
                self._sleep()
        self._guarded(self.courier.record_finished)

    def _sleep(self) -> None:
        wait = self.poll
        upcoming = self._guarded(self.courier.outbox.next_due)
        if isinstance(upcoming, float):
            wait = min(wait, max(0.01, upcoming - self.courier.clock()))
        with self._wake:
            if not self._stop.is_set():
                self._wake.wait(wait)

    def _guarded(self, step: Callable[[], object]) -> object:
        try:
            return step()
        except Exception:  # an unreadable outbox (disk full, locked) must not end the thread
            log.exception("delivery worker step failed; retrying in %.1fs", self.poll)
            self._stop.wait(self.poll)
            return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
