"""Durable writes of one process committed together: each gets its own outcome, none is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver._groupcommit import GroupCommit, Write
from kakao_receiver._outbox import Outbox, OutboxError, group_commit, writer

PAYLOADS = {"kakaowork:1": {"text": "one"}}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def in_threads(calls: Sequence[Callable[[], Any]]) -> tuple[list[Any], list[threading.Thread]]:
    """Start each call on a thread of its own, in order; its result or exception lands in the list."""
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    return outcomes, threads


def line_up(line: GroupCommit, threads: Sequence[threading.Thread]) -> None:
    """Start the first thread and wait until it leads, then the others and wait until all are in line."""
    threads[0].start()
    wait_until(lambda: line.waiting == 1)
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: line.waiting == len(threads))


def join(threads: Sequence[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


class GatedBatch:
    """A batch function that records each batch and holds the first one until ``open`` is set."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.batches: list[list[str]] = []

    def __call__(self, writes: Sequence[Write[Any]]) -> None:
        self.open.wait(10)
        self.batches.append([write.operation(None) for write in writes])
        for write, name in zip(writes, self.batches[-1], strict=True):
            write.result = name.upper()


def test_writes_that_wait_while_a_batch_is_written_go_together_in_the_next_each_with_its_result() -> None:
    line, batch = GroupCommit(), GatedBatch()
    names = ["a", "b", "c", "d"]
    outcomes, threads = in_threads([lambda n=n: line.run(lambda _conn, n=n: n, batch) for n in names])
    line_up(line, threads)  # "a" leads and is held in its batch; the others wait behind it
    batch.open.set()
    join(threads)

    assert batch.batches == [["a"], ["b", "c", "d"]]
    assert outcomes == ["A", "B", "C", "D"]
    assert (line.batches, line.writes, line.waiting) == (2, 4, 0)


def test_a_batch_holds_at_most_limit_writes_and_the_rest_follow() -> None:
    line, batch = GroupCommit(limit=2), GatedBatch()
    outcomes, threads = in_threads([lambda n=n: line.run(lambda _conn, n=n: n, batch) for n in "abcde"])
    line_up(line, threads)
    batch.open.set()
    join(threads)

    assert [len(each) for each in batch.batches] == [1, 2, 2]
    assert sorted(name for each in batch.batches for name in each) == list("abcde")
    assert outcomes == list("ABCDE")


def test_when_a_batch_cannot_be_written_every_write_in_it_gets_the_error_and_the_line_goes_on() -> None:
    line = GroupCommit()

    def broken(writes: Sequence[Write[Any]]) -> None:
        raise OutboxError("disk full")

    with pytest.raises(OutboxError, match="disk full"):
        line.run(lambda _conn: "x", broken)
    assert line.run(lambda _conn: "y", _ok) == "y!"
    assert line.waiting == 0


def _ok(writes: Sequence[Write[Any]]) -> None:
    for write in writes:
        write.result = write.operation(None) + "!"


def test_the_outbox_commits_waiting_webhooks_together_and_one_that_raises_fails_alone(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    line = group_commit(outbox.path)

    def refuse(_conn: object) -> bool:
        raise ValueError("the ledger check broke")

    calls: list[Callable[[], Any]] = [
        lambda: outbox.accept("n0", "khp-critical", "{}", PAYLOADS),
        lambda: outbox.accept("n1", "khp-critical", "{}", PAYLOADS),
        lambda: outbox.accept("n2", "khp-critical", "{}", PAYLOADS, guard=refuse),
        lambda: outbox.accept("n3", "khp-critical", "{}", PAYLOADS),
    ]
    outcomes, threads = in_threads(calls)
    before = line.batches
    with writer(outbox.path):  # another write of this process holds the file: the webhooks line up
        line_up(line, threads)
    join(threads)

    assert outcomes[:2] == ["accepted", "accepted"] and outcomes[3] == "accepted"
    assert isinstance(outcomes[2], ValueError)
    assert line.batches - before == 2  # n0 alone, then n1-n3 together (then written one by one)
    assert sorted({row["notification"] for row in outbox.rows()}) == ["n0", "n1", "n3"]


def test_webhooks_written_at_once_are_all_stored_and_each_answered(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    calls: list[Callable[[], Any]] = [
        lambda n=n: outbox.accept(f"n{n}", "khp-critical", "{}", PAYLOADS) for n in range(8)
    ]
    outcomes, threads = in_threads(calls)
    for thread in threads:
        thread.start()
    join(threads)

    assert outcomes == ["accepted"] * 8
    other = Outbox(tmp_path / "outbox.db")  # another connection sees every row committed
    assert len(other.rows()) == 8


def test_a_durable_write_asked_for_inside_another_write_to_the_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")

    def nested(_conn: object) -> bool:  # a guard runs in the batch, with the file's writer lock held
        outbox.add_notice("inner", "khp-critical", "{}", "kakaowork:1", {"text": "x"})
        return True

    with writer(outbox.path), pytest.raises(RuntimeError, match="inside another write"):
        outbox.accept("outer", "khp-critical", "{}", PAYLOADS)
    with pytest.raises(RuntimeError, match="would wait for itself"):
        outbox.accept("n0", "khp-critical", "{}", PAYLOADS, guard=nested)
    assert outbox.rows() == []  # nothing of either was stored
    assert outbox.accept("n0", "khp-critical", "{}", PAYLOADS) == "accepted"  # and the line goes on
