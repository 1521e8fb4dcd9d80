"""Delivery from the outbox: retries with backoff and jitter and no budget, retry_after, dead letters, history."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver import DeliveryError
from kakao_receiver._delivery import Courier, Traffic, Workers, history_events, retry_delay
from kakao_receiver._outbox import Finished, Outbox
from kakao_receiver._settings import DeliverySettings
from khp.history import HistoryEvent

from .samples import alert
from .test_app import NOW, Clock, RecordingChannel, body

SETTINGS = DeliverySettings(backoff=2.0, max_backoff=30.0, lease=60.0, workers=2)
BODY = json.dumps(body())


class Setup:
    """An outbox with one notification for rooms ``rec:a`` and ``rec:b``, a courier and what it records."""

    def __init__(self, tmp_path: Path, settings: DeliverySettings = SETTINGS, rooms: tuple[str, ...] = ("rec:a",)):
        self.clock = Clock()
        self.channel = RecordingChannel()
        self.events: list[HistoryEvent] = []
        self.outbox = Outbox(tmp_path / "outbox.db", self.clock)
        self.outbox.accept("n1", "khp-critical", BODY, {room: {"text": f"to {room}"} for room in rooms})
        self.courier = Courier(
            self.outbox, {"rec": self.channel}, settings, self.events.extend, clock=self.clock, rand=lambda: 0.5
        )

    def row(self) -> dict[str, Any]:
        return self.outbox.rows()[0]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_the_backoff_doubles_with_jitter_in_its_upper_half_up_to_the_cap() -> None:
    low = [retry_delay(n, SETTINGS, rand=lambda: 0.0) for n in range(1, 7)]
    high = [retry_delay(n, SETTINGS, rand=lambda: 1.0) for n in range(1, 7)]

    assert low == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert high == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_retry_after_is_a_floor_not_a_suggestion() -> None:
    assert retry_delay(1, SETTINGS, retry_after=120.0, rand=lambda: 1.0) == 120.0
    assert retry_delay(4, SETTINGS, retry_after=1.0, rand=lambda: 1.0) == 16.0


def test_a_transient_failure_is_retried_after_the_backoff_then_sent(setup: Setup) -> None:
    setup.channel.failures.append(DeliveryError("HTTP 500; will retry"))

    assert setup.courier.deliver_one()
    assert setup.row()["state"] == "pending" and setup.row()["due"] == NOW + 1.5  # 2s ceiling, jitter 0.5
    assert setup.row()["error"] == "HTTP 500; will retry"
    assert not setup.courier.deliver_one()  # not due yet
    setup.clock.now += 1.5
    assert setup.courier.deliver_one()
    setup.clock.now += 0.5
    assert setup.courier.record_finished() == 1

    assert setup.channel.sent == [("a", {"text": "to rec:a"})]
    assert (setup.row()["state"], setup.row()["attempts"], setup.row()["finished"]) == ("sent", 2, NOW + 1.5)
    assert [(e.kind, e.time, e.room) for e in setup.events] == [("notified", NOW + 1.5, "a")] * 2


def test_the_channel_s_retry_after_is_honoured(setup: Setup) -> None:
    setup.channel.failures.append(DeliveryError("429 too_many_requests", retry_after=45))

    setup.courier.deliver_one()

    assert setup.row()["due"] == NOW + 45
    setup.clock.now += 44
    assert not setup.courier.deliver_one()
    setup.clock.now += 1
    assert setup.courier.deliver_one() and setup.row()["state"] == "sent"


def test_a_room_level_permanent_error_keeps_the_row_waiting_and_says_it_needs_fixing(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.channel.failures.append(DeliveryError("conversation_not_found; retrying cannot help", permanent=True))

    setup.courier.deliver_one()

    assert (setup.row()["state"], setup.row()["attempts"], setup.row()["due"]) == ("pending", 1, NOW + 1.5)
    assert "conversation_not_found" in setup.row()["error"]
    assert any(r.levelno == logging.ERROR and "needs fixing" in r.getMessage() for r in caplog.records)
    setup.clock.now += 1.5
    assert setup.courier.deliver_one() and setup.row()["state"] == "sent"  # fixed meanwhile: it goes out


def test_a_refused_payload_with_no_simpler_form_is_a_loud_dead_letter(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    told: list[tuple[int, str]] = []
    setup.courier.on_dead = lambda delivery, error: told.append((delivery.rowid, error))
    setup.channel.failures.append(DeliveryError("invalid_blocks: blocks[3].value", rejected=True))

    setup.courier.deliver_one()
    setup.courier.record_finished()

    assert setup.row()["state"] == "dead" and "a dead letter" in setup.row()["error"]
    assert told == [(setup.row()["rowid"], "invalid_blocks: blocks[3].value")]
    assert [(e.kind, e.host) for e in setup.events] == [("failed", "a-ov1"), ("failed", "a-ov2")]
    assert any(r.levelno == logging.ERROR and r.getMessage().startswith("DEAD LETTER") for r in caplog.records)
    assert not setup.courier.deliver_one()


def test_there_is_no_retry_budget_a_message_waits_until_it_goes_through(setup: Setup) -> None:
    setup.channel.failures.extend(DeliveryError(f"HTTP 503 #{n}") for n in range(200))

    tries = 0
    while setup.row()["state"] == "pending":
        setup.clock.now = setup.outbox.next_due() or setup.clock.now
        tries += setup.courier.deliver_one()

    assert tries == 201 and setup.row()["state"] == "sent"
    assert setup.channel.sent == [("a", {"text": "to rec:a"})]
    assert setup.clock.now - NOW < 200 * SETTINGS.max_backoff  # backed off to the cap, not beyond


def test_a_plugin_that_raises_anything_else_is_retried_not_fatal(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.channel.failures.append(KeyError("blocks"))

    assert setup.courier.deliver_one()

    assert setup.row()["state"] == "pending" and "KeyError" in setup.row()["error"]
    assert any("raised while sending" in r.getMessage() for r in caplog.records)


def test_a_row_for_a_channel_no_longer_set_up_waits_for_a_receiver_that_has_it(tmp_path: Path) -> None:
    setup = Setup(tmp_path, rooms=("pigeon:loft",))

    setup.courier.deliver_one()

    assert setup.row()["state"] == "pending" and "channel 'pigeon' is not set up" in setup.row()["error"]


def test_when_a_channel_answers_again_its_waiting_rows_are_sent_at_once(tmp_path: Path) -> None:
    setup = Setup(tmp_path, rooms=("rec:a", "rec:b", "rec:c"))
    setup.channel.failures.extend(DeliveryError("HTTP 502") for _ in range(3))
    for _ in range(3):
        setup.courier.deliver_one()
    assert [row["due"] for row in setup.outbox.rows()] == [NOW + 1.5] * 3

    setup.clock.now += 1.5
    assert setup.courier.deliver_one()  # a goes through ...
    setup.outbox.rows()
    setup.clock.now += 0.001
    rows = setup.outbox.rows()
    assert rows[0]["state"] == "sent" and all(row["due"] <= setup.clock.now for row in rows[1:])  # ... b, c now
    assert setup.courier.deliver_one() and setup.courier.deliver_one()
    assert [target for target, _ in setup.channel.sent] == ["a", "b", "c"]


def test_a_resolved_alert_s_message_is_given_up_after_give_up_after(tmp_path: Path) -> None:
    settings = DeliverySettings(backoff=2.0, max_backoff=30.0, give_up_after=3600.0)
    clock = Clock()
    box = Outbox(tmp_path / "outbox.db", clock)
    firing = body(groupKey="{}:{g1}")
    resolved = body(groupKey="{}:{g2}", status="resolved")
    for entry in resolved["alerts"]:
        entry["status"] = "resolved"
    box.accept("firing", "khp-critical", json.dumps(firing), {"rec:a": {"text": "firing"}})
    box.accept("resolved", "khp-critical", json.dumps(resolved), {"rec:a": {"text": "resolved"}})
    channel = RecordingChannel()
    channel.failures.extend(DeliveryError("HTTP 500") for _ in range(1000))
    courier = Courier(box, {"rec": channel}, settings, lambda events: None, clock=clock)

    while (box.next_due() or NOW) < NOW + 3500:
        clock.now = box.next_due() or clock.now
        courier.deliver_one()
    clock.now = NOW + 3599
    assert courier.expire() == 0  # not older than give_up_after yet
    clock.now = NOW + 3601
    assert courier.expire() == 1

    states = {row["notification"]: (row["state"], row["error"]) for row in box.rows()}
    assert states["firing"][0] == "pending"  # still firing: it waits on
    assert states["resolved"][0] == "expired" and "give_up_after" in states["resolved"][1]
    assert "HTTP 500" in states["resolved"][1]


def test_looking_for_rows_to_give_up_takes_no_write_lock_while_none_is_old_enough(tmp_path: Path) -> None:
    """It runs every minute in every worker: with thousands of notifications kept it must not hold the file."""
    clock = Clock()
    box = Outbox(tmp_path / "outbox.db", clock)
    for index in range(50):
        box.accept(f"n{index}", "khp-critical", BODY, {"rec:a": {"n": index}})
    settings = DeliverySettings(give_up_after=3600.0)
    courier = Courier(box, {"rec": RecordingChannel()}, settings, lambda events: None, clock=clock)
    other = sqlite3.connect(tmp_path / "outbox.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the outbox would wait
    try:
        assert courier.expire() == 0
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_firing_message_is_given_up_once_a_later_one_resolved_its_group(tmp_path: Path) -> None:
    settings = DeliverySettings(give_up_after=3600.0)
    clock = Clock()
    box = Outbox(tmp_path / "outbox.db", clock)
    box.accept("firing", "khp-critical", json.dumps(body()), {"rec:a": {"text": "firing"}})
    resolved = body(status="resolved")
    box.accept("resolved", "khp-warning", json.dumps(resolved), {"rec:a": {"text": "other receiver"}})
    courier = Courier(box, {"rec": RecordingChannel()}, settings, lambda events: None, clock=clock)
    clock.now += 7200
    assert courier.expire() == 1  # only the resolved one: another receiver does not resolve this group
    clock.now += 1
    box.accept("later", "khp-critical", json.dumps(resolved), {"rec:a": {"text": "resolved"}})
    assert courier.expire() == 1  # "firing" is old and its group is resolved now; "later" is new
    clock.now += 7200
    assert courier.expire() == 1
    assert {row["state"] for row in box.rows()} == {"expired"}


def test_history_that_cannot_be_written_is_written_later_as_the_same_events(setup: Setup) -> None:
    written: list[HistoryEvent] = []
    broken = {"on": True}

    def record(events: Any) -> None:
        if broken["on"]:
            raise OSError("history spool: disk full")
        written.extend(events)

    setup.courier.record = record
    setup.courier.deliver_one()
    assert setup.courier.record_finished() == 0
    assert setup.row()["state"] == "sent" and setup.row()["recorded"] == 0

    broken["on"] = False
    setup.clock.now += 100
    assert setup.courier.record_finished() == 1

    assert [(e.kind, e.time) for e in written] == [("notified", NOW), ("notified", NOW)]
    assert setup.courier.record_finished() == 0


def test_a_worker_that_died_holding_a_row_leaves_it_to_another_after_the_lease(setup: Setup) -> None:
    dead = setup.outbox.claim(SETTINGS.lease)  # claimed, then the process was killed before sending
    assert dead is not None
    assert not setup.courier.deliver_one()

    setup.clock.now += SETTINGS.lease

    assert setup.courier.deliver_one()
    assert setup.channel.sent == [("a", {"text": "to rec:a"})]
    assert setup.row()["attempts"] == 2


def test_the_one_repeat_a_crash_can_cause_is_between_send_and_mark(setup: Setup) -> None:
    """The documented at-least-once window: the channel took it, the process died before marking it."""
    dead = setup.outbox.claim(SETTINGS.lease)
    assert dead is not None
    setup.channel.send("a", dead.payload)  # ... and the process is killed here

    setup.clock.now += SETTINGS.lease
    setup.courier.deliver_one()

    assert len(setup.channel.sent) == 2  # sent twice: once before the crash, once after the lease
    assert setup.row()["state"] == "sent"


def test_threads_of_two_processes_send_every_row_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    for index in range(200):
        box.accept(f"n{index}", "khp-critical", BODY, {"rec:a": {"n": index}, "rec:b": {"n": index}})
    channel = SlowChannel()
    sets = [
        Workers(Courier(Outbox(path), {"rec": channel}, SETTINGS, lambda events: None), count=3, poll=0.05)
        for _ in range(2)
    ]
    for workers in sets:
        workers.start()
    try:
        deadline = time.monotonic() + 60
        while box.counts()["sent"] < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for workers in sets:
            workers.stop()

    assert sorted(channel.sent) == sorted((target, n) for n in range(200) for target in ("a", "b"))
    assert box.counts() == {"pending": 0, "sent": 400, "dead": 0, "expired": 0, "failed": 0}


def test_a_gap_comes_at_once_when_no_webhook_is_being_answered() -> None:
    assert Traffic().gap(at_most=30.0) is True


def test_a_gap_waits_for_the_webhooks_being_answered_but_no_longer_than_asked() -> None:
    traffic = Traffic()
    with traffic.serving():
        assert traffic.gap(at_most=0.01) is False  # nobody ends this one: the wait is bounded
    waited: list[bool] = []
    with traffic.serving(), traffic.serving():
        waiting = threading.Thread(target=lambda: waited.append(traffic.gap(at_most=60.0)))
        waiting.start()
        waiting.join(0.2)
        assert waiting.is_alive()  # two webhooks in hand
    waiting.join(30)
    assert waited == [True]


def sent_within(box: Outbox, workers: Workers, wait: float) -> int:
    workers.start()
    try:
        deadline = time.monotonic() + wait
        while box.counts()["sent"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        return box.counts()["sent"]
    finally:
        workers.stop()


def test_delivery_waits_for_a_gap_in_the_webhooks_of_its_process(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.accept("n1", "khp-critical", BODY, {"rec:a": {"n": 1}})
    channel = SlowChannel()
    traffic = Traffic()
    courier = Courier(box, {"rec": channel}, SETTINGS, lambda events: None)
    with traffic.serving():
        assert sent_within(box, Workers(courier, 1, traffic=traffic, yield_at_most=60.0), wait=0.5) == 0
    assert sent_within(box, Workers(courier, 1, traffic=traffic, yield_at_most=60.0), wait=30) == 1


def test_webhooks_that_never_pause_slow_delivery_down_but_never_stop_it(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.accept("n1", "khp-critical", BODY, {"rec:a": {"n": 1}})
    traffic = Traffic()
    courier = Courier(box, {"rec": SlowChannel()}, SETTINGS, lambda events: None)
    with traffic.serving():
        assert sent_within(box, Workers(courier, 1, traffic=traffic, yield_at_most=0.05), wait=30) == 1


class SlowChannel:
    """Takes a little time per send, so that threads overlap; keeps (target, number) of each message."""

    name = "rec"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[str, int]] = []

    def render(self, content: Any) -> dict[str, Any]:
        return {}

    def send(self, target: str, payload: Any) -> None:
        time.sleep(0.001)
        with self.lock:
            self.sent.append((target, payload["n"]))


def test_rows_older_than_the_retention_are_pruned(setup: Setup) -> None:
    setup.courier.deliver_one()
    setup.courier.record_finished()
    setup.courier.retention = 86400

    setup.clock.now += 86399
    assert setup.courier.prune() == 0
    setup.clock.now += 2
    assert setup.courier.prune() == 1

    assert setup.outbox.rows() == [] and not setup.outbox.seen("n1")


def test_each_notified_event_says_whether_its_alert_was_firing_or_resolved(tmp_path: Path) -> None:
    mixed = body(alerts=[alert(host="a-ov1"), alert(host="a-ov2", status="resolved", ends="2026-11-29T06:45:25Z")])
    row = Finished(
        rowid=1, notification="n1", room="rec:a", state="sent", finished=NOW, error="", body=json.dumps(mixed)
    )
    events = history_events(row)
    assert [(e.host, e.detail) for e in events] == [
        ("a-ov1", "firing notification n1"),
        ("a-ov2", "resolved notification n1"),
    ]


def test_history_events_are_written_by_one_thread_of_a_process_at_a_time(setup: Setup) -> None:
    assert setup.courier.deliver_one()
    with setup.courier._recording:  # another thread of this process is writing them
        assert setup.courier.record_finished() == 0
    assert setup.events == [] and setup.row()["recorded"] == 0
    assert setup.courier.record_finished() == 1
    assert setup.row()["recorded"] == 1 and len(setup.events) == 2


def test_the_rows_of_one_notification_share_its_parsed_body_within_a_batch() -> None:
    rows = [
        Finished(rowid=n, notification="n1", room=room, state="sent", finished=NOW, error="", body=json.dumps(body()))
        for n, room in enumerate(["rec:a", "rec:b"], start=1)
    ]
    bodies: dict[str, Any] = {}
    first = history_events(rows[0], bodies)
    kept = bodies["n1"]
    second = history_events(rows[1], bodies)
    assert bodies == {"n1": kept}  # parsed once
    assert [(e.host, e.room) for e in first] == [(e.host, "a") for e in first]
    assert [(e.host, e.room) for e in second] == [(e.host, "b") for e in first]
    assert [e.detail for e in second] == [e.detail for e in first]
