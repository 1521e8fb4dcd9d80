"""The outbox file: idempotent accept, atomic claims with leases, across threads and processes."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from kakao_receiver import _outbox as outbox_module
from kakao_receiver import _statefile as statefile_module
from kakao_receiver._holding import Holding
from kakao_receiver._outbox import Outbox, OutboxError, busy_wait, writer
from kakao_receiver._statefile import StateFile

from .test_app import NOW, Clock

PAYLOADS = {"kakaowork:1": {"text": "one"}, "kakaowork:2": {"text": "two"}}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Outbox:
    return Outbox(tmp_path / "outbox.db", clock)


def test_a_notification_is_stored_with_one_pending_row_per_room(outbox: Outbox) -> None:
    assert outbox.accept("n1", "khp-critical", '{"version":"4"}', PAYLOADS) == "accepted"

    rows = outbox.rows("n1")
    assert [(r["room"], r["state"], r["attempts"], r["due"]) for r in rows] == [
        ("kakaowork:1", "pending", 0, NOW),
        ("kakaowork:2", "pending", 0, NOW),
    ]
    assert outbox.seen("n1") and not outbox.seen("n2")


def test_the_same_notification_is_stored_once_even_from_another_process_s_connection(
    outbox: Outbox, tmp_path: Path, clock: Clock
) -> None:
    other = Outbox(tmp_path / "outbox.db", clock)

    assert outbox.accept("n1", "khp-critical", "{}", PAYLOADS) == "accepted"
    assert other.accept("n1", "khp-critical", "{}", {**PAYLOADS, "kakaowork:3": {"text": "three"}}) == "duplicate"

    assert len(outbox.rows()) == 2


def test_the_same_notification_after_the_window_is_a_reminder_sent_again(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", '{"v":1}', PAYLOADS, window=3600)
    sent = outbox.claim(60)
    assert sent is not None
    outbox.mark_sent(sent)
    outbox.mark_recorded([sent.rowid])
    clock.now += 3599
    assert outbox.accept("n1", "khp-critical", '{"v":2}', PAYLOADS, window=3600) == "duplicate"
    clock.now += 1

    again = {"kakaowork:1": {"text": "one, 1h later"}, "kakaowork:2": {"text": "two, 1h later"}}
    assert outbox.accept("n1", "khp-critical", '{"v":3}', again, window=3600) == "repeated"

    rows = outbox.rows("n1")
    assert [(r["room"], r["state"], r["attempts"], r["recorded"], r["due"]) for r in rows] == [
        ("kakaowork:1", "pending", 0, 0, NOW + 3600),  # sent before: armed again, with the new text
        ("kakaowork:2", "pending", 0, 0, NOW),  # never sent: left as it was
    ]
    assert json.loads(rows[0]["payload"]) == {"text": "one, 1h later"}
    assert json.loads(rows[1]["payload"]) == {"text": "two"}
    assert outbox.seen("n1", since=NOW + 3599) and not outbox.seen("n1", since=NOW + 3600)


def test_a_claim_hides_the_row_for_its_lease_and_a_dead_claimer_s_row_comes_back(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", "{}", {"kakaowork:1": {"text": "one"}})

    first = outbox.claim(lease=60)
    assert first is not None and (first.room, first.attempts, first.payload) == ("kakaowork:1", 1, {"text": "one"})
    assert outbox.claim(lease=60) is None
    clock.now += 59.9
    assert outbox.claim(lease=60) is None

    clock.now += 0.2  # the claimer never came back
    again = outbox.claim(lease=60)

    assert again is not None and again.rowid == first.rowid and again.attempts == 2
    assert again.claim != first.claim


def test_a_row_to_retry_is_not_claimed_before_it_is_due(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", "{}", {"kakaowork:1": {}})
    claimed = outbox.claim(lease=60)
    assert claimed is not None

    assert outbox.retry_at(claimed, NOW + 30, "HTTP 500")

    assert outbox.claim(lease=60) is None
    assert outbox.next_due() == NOW + 30
    clock.now += 30
    assert outbox.claim(lease=60) is not None
    assert outbox.rows()[0]["error"] == "HTTP 500"


def test_rows_are_claimed_in_order_of_due_time(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", "{}", {"kakaowork:1": {}})
    clock.now += 1
    outbox.accept("n2", "khp-critical", "{}", {"kakaowork:1": {}})

    claims = [outbox.claim(lease=60) for _ in range(3)]

    assert [c.notification if c else None for c in claims] == ["n1", "n2", None]


def test_a_worker_whose_lease_was_taken_over_cannot_reschedule_or_fail_the_row(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", "{}", {"kakaowork:1": {}})
    slow = outbox.claim(lease=10)
    clock.now += 11
    fast = outbox.claim(lease=10)
    assert slow is not None and fast is not None

    assert not outbox.retry_at(slow, NOW + 100, "late")
    assert outbox.mark_dead(slow, "late") is None
    outbox.mark_sent(slow)  # but a send that went through is a send, whoever holds the lease

    assert outbox.rows()[0]["state"] == "sent"
    assert outbox.mark_dead(fast, "too late") is None


def test_finished_rows_wait_for_their_history_then_are_pruned(outbox: Outbox, clock: Clock) -> None:
    outbox.accept("n1", "khp-critical", '{"body":1}', PAYLOADS)
    first, second = outbox.claim(60), outbox.claim(60)
    assert first is not None and second is not None
    outbox.mark_sent(first)
    clock.now += 5
    outbox.mark_dead(second, "conversation_not_found")

    finished = outbox.unrecorded()
    assert [(f.room, f.state, f.finished, f.error, f.body) for f in finished] == [
        ("kakaowork:1", "sent", NOW, "", '{"body":1}'),
        ("kakaowork:2", "dead", NOW + 5, "conversation_not_found", '{"body":1}'),
    ]
    assert outbox.prune(before=NOW + 100) == 0  # not recorded yet: kept

    outbox.mark_recorded([f.rowid for f in finished])

    assert outbox.unrecorded() == []
    assert outbox.counts() == {"pending": 0, "sent": 1, "dead": 1, "expired": 0, "failed": 0}
    assert outbox.prune(before=NOW + 1) == 1
    assert outbox.prune(before=NOW + 100) == 1
    assert not outbox.seen("n1")


def test_counts_and_the_oldest_pending_row(outbox: Outbox, clock: Clock) -> None:
    assert outbox.oldest_pending() is None and outbox.next_due() is None
    outbox.accept("n1", "khp-critical", "{}", PAYLOADS)
    clock.now += 10
    outbox.accept("n2", "khp-critical", "{}", {"kakaowork:1": {}})

    assert outbox.counts() == {"pending": 3, "sent": 0, "dead": 0, "expired": 0, "failed": 0}
    assert outbox.oldest_pending() == NOW


def test_the_file_is_in_wal_mode(outbox: Outbox) -> None:
    (mode,) = outbox._connection().execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_an_outbox_that_cannot_be_created_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(OutboxError, match=r"outbox .*file/outbox\.db"):
        Outbox(blocker / "outbox.db")


def _claim_all(path: str, out: multiprocessing.Queue) -> None:
    box = Outbox(path)
    claimed = []
    while (delivery := box.claim(lease=300)) is not None:
        claimed.append(delivery.notification)
        box.mark_sent(delivery)
    out.put(claimed)


def test_processes_sharing_the_file_claim_every_row_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    for index in range(300):
        box.accept(f"n{index}", "khp-warning", "{}", {"kakaowork:1": {}})
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [context.Process(target=_claim_all, args=(str(path), out)) for _ in range(4)]

    for process in processes:
        process.start()
    claims = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)

    every = sorted(name for each in claims for name in each)
    assert every == sorted(f"n{index}" for index in range(300))
    assert box.counts()["sent"] == 300


def test_threads_of_one_process_take_turns_writing_without_polling_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    polled: list[int] = []
    monkeypatch.setattr(outbox_module, "busy_wait", lambda tries: polled.append(tries) or 0.0)
    box = Outbox(tmp_path / "outbox.db")
    state = StateFile(tmp_path / "outbox.db")

    def work(thread: int) -> None:
        for index in range(40):
            box.accept(f"t{thread}-{index}", "khp-warning", "{}", {"kakaowork:1": {}, "kakaowork:2": {}})
            Holding(state).hold([("kakaowork:1", {"fingerprint": f"{thread}-{index}"})], "khp-warning", {}, 1.0)
            delivery = box.claim(lease=60)
            assert delivery is not None
            box.mark_sent(delivery)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert box.counts() == {"pending": 240, "sent": 240, "dead": 0, "expired": 0, "failed": 0}
    assert Holding(state).count() == 240
    assert polled == []  # they queued on the process's writer lock, never on SQLite's "locked"


def _take_writer(path: str, out: multiprocessing.Queue) -> None:
    out.put(writer(Path(path)).acquire(timeout=5))


def test_a_forked_child_does_not_inherit_a_held_writer_lock(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    with writer(path):  # held by this thread while the child is forked
        child = context.Process(target=_take_writer, args=(str(path), out))
        child.start()
        assert out.get(timeout=30) is True
        child.join(timeout=30)


def test_waits_for_another_process_s_lock_start_short_and_stay_short() -> None:
    waits = [busy_wait(tries) for tries in range(12)]
    assert 0.000025 <= waits[0] <= 0.000075
    assert all(0.001 <= wait <= 0.003 for wait in waits[8:])
    # a lock held for seconds means thousands of tries: still a short wait, never an error
    assert all(0.001 <= busy_wait(tries) <= 0.003 for tries in (1023, 1100, 100_000))


def test_releasing_when_nothing_is_held_does_not_wait_for_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statefile_module, "BUSY_TIMEOUT", 0.3)
    path = tmp_path / "outbox.db"
    holding = Holding(StateFile(path))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing, for longer than the timeout

    holding.release([("kakaowork:1", "fp-1")])  # a read tells nothing is held: no write, no wait

    other.execute("ROLLBACK")
    holding.hold([("kakaowork:1", {"fingerprint": "fp-1"})], "khp-warning", {}, 1.0)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OutboxError, match="release a resolution"):
        holding.release([("kakaowork:1", "fp-1")])  # something is held: it must write, and waits
    other.execute("ROLLBACK")
    holding.release([("kakaowork:1", "fp-1")])
    assert holding.count() == 0
