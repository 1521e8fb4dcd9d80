"""Webhooks answered in the worker's event loop: parked for one commit each round, each with its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver import _cooperative as cooperative
from kakao_receiver._cooperative import Loop
from kakao_receiver._groupcommit import Write
from kakao_receiver._outbox import Outbox, OutboxError
from kakao_receiver._worker import _Answer, _path, _send_now

PAYLOADS = {"kakaowork:1": {"text": "one"}}


class Recorded:
    """A batch function that records each batch's names and answers each write with its name in capitals."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, writes: Sequence[Write[Any]]) -> None:
        self.batches.append([write.operation(None) for write in writes])
        for write, name in zip(writes, self.batches[-1], strict=True):
            write.result = name.upper()


def request(loop: Loop, batch: Recorded, names: Sequence[str], outcomes: dict[str, Any]) -> Callable[[], None]:
    """A request greenlet's work: one durable write per name, in turn; what each returned lands in ``outcomes``."""

    def serve() -> None:
        for name in names:
            try:
                outcomes[name] = loop.durable("file", lambda _conn, name=name: name, batch)
            except Exception as exc:
                outcomes[name] = exc

    return serve


def test_the_writes_parked_in_one_round_are_committed_together_and_each_gets_its_own_result() -> None:
    loop, batch, outcomes = Loop(), Recorded(), {}
    for name in "abc":
        loop.spawn(request(loop, batch, [name], outcomes))
    assert loop.parked == 3 and batch.batches == []  # nothing is written before the loop's commit

    loop.flush()

    assert batch.batches == [["a", "b", "c"]]
    assert outcomes == {"a": "A", "b": "B", "c": "C"}
    assert (loop.batches, loop.writes, loop.parked) == (1, 3, 0)


def test_a_request_that_writes_again_after_its_commit_is_committed_in_the_next_turn_of_the_same_flush() -> None:
    loop, batch, outcomes = Loop(), Recorded(), {}
    loop.spawn(request(loop, batch, ["a1", "a2"], outcomes))
    loop.spawn(request(loop, batch, ["b1"], outcomes))

    loop.flush()

    assert batch.batches == [["a1", "b1"], ["a2"]]
    assert outcomes == {"a1": "A1", "a2": "A2", "b1": "B1"}
    assert loop.parked == 0


def test_a_transaction_holds_at_most_limit_writes() -> None:
    loop, batch, outcomes = Loop(limit=2), Recorded(), {}
    for name in "abcde":
        loop.spawn(request(loop, batch, [name], outcomes))
    loop.flush()

    assert batch.batches == [["a", "b"], ["c", "d"], ["e"]]
    assert outcomes == {name: name.upper() for name in "abcde"}


def test_when_a_batch_cannot_be_written_each_of_its_writes_gets_the_error_and_the_loop_goes_on() -> None:
    loop, outcomes = Loop(), {}

    def broken(writes: Sequence[Write[Any]]) -> None:
        raise OutboxError("disk full")

    def serve() -> None:
        try:
            outcomes["x"] = loop.durable("file", lambda _conn: "x", broken)
        except OutboxError as exc:
            outcomes["x"] = exc

    loop.spawn(serve)
    loop.spawn(serve)
    loop.flush()
    assert isinstance(outcomes["x"], OutboxError) and loop.parked == 0

    batch: Recorded = Recorded()
    loop.spawn(request(loop, batch, ["y"], outcomes))
    loop.flush()
    assert outcomes["y"] == "Y"


def test_only_a_request_greenlet_of_this_threads_loop_parks() -> None:
    loop, seen = Loop(), {}
    assert cooperative.current() is None  # the loop itself: a durable write is its own, not parked

    def serve() -> None:
        seen["inside"] = cooperative.current()

    loop.spawn(serve)
    assert seen["inside"] is loop

    def other_thread() -> None:
        seen["thread"] = cooperative.current()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen["thread"] is None  # the request threads of the pool wait in their own line


def test_the_outbox_writes_webhooks_of_a_round_in_one_transaction_and_one_that_raises_fails_alone(
    tmp_path: Path,
) -> None:
    outbox, loop, outcomes = Outbox(tmp_path / "outbox.db"), Loop(), {}

    def refuse(_conn: object) -> bool:
        raise ValueError("the ledger check broke")

    def accept(name: str, guard: Callable[[Any], bool] | None = None) -> Callable[[], None]:
        def serve() -> None:
            try:
                outcomes[name] = outbox.accept(name, "khp-critical", "{}", PAYLOADS, guard=guard)
            except Exception as exc:
                outcomes[name] = exc

        return serve

    for name in ("n0", "n1"):
        loop.spawn(accept(name))
    loop.spawn(accept("n2", refuse))
    loop.spawn(accept("n3"))
    assert loop.parked == 4 and Outbox(tmp_path / "outbox.db").rows() == []

    loop.flush()

    assert (outcomes["n0"], outcomes["n1"], outcomes["n3"]) == ("accepted", "accepted", "accepted")
    assert isinstance(outcomes["n2"], ValueError)
    assert loop.batches == 1  # tried together once, then written one by one when one raised
    other = Outbox(tmp_path / "outbox.db")  # another connection sees every row committed
    assert sorted({row["notification"] for row in other.rows()}) == ["n0", "n1", "n3"]


@pytest.mark.parametrize(
    ("request_bytes", "path"),
    [
        (b"POST /alertmanager HTTP/1.1\r\nHost: x\r\n\r\n", b"/alertmanager"),
        (b"POST /alertmanager?x=1 HTTP/1.1\r\n\r\n", b"/alertmanager"),
        (b"GET /alertmanager HTTP/1.1\r\n\r\n", b""),
        (b"GET /healthz HTTP/1.1\r\n\r\n", b""),
        (b"garbage\r\n\r\n", b""),
    ],
)
def test_only_a_post_is_matched_against_the_loops_paths(request_bytes: bytes, path: bytes) -> None:
    assert _path(request_bytes) == path


def test_an_answer_is_kept_then_sent_without_blocking_and_what_the_client_does_not_take_is_left() -> None:
    import socket

    server, client = socket.socketpair()
    try:
        answer = _Answer(server)
        answer.sendall(b"HTTP/1.1 200 OK\r\n")
        assert answer.send(b"\r\n") == 2 and answer.fileno() == server.fileno()
        assert _send_now(server, bytes(answer.data)) == b""
        assert client.recv(100) == b"HTTP/1.1 200 OK\r\n\r\n"

        big = b"x" * (16 * 2**20)  # more than the socket takes while the client reads nothing
        rest = _send_now(server, big)
        assert rest is not None and 0 < len(rest) < len(big)
    finally:
        server.close()
        client.close()
    assert _send_now(server, b"late") is None  # the connection is gone


def test_the_rest_of_an_answer_is_sent_by_a_thread_once_the_client_reads_and_a_gone_client_closes() -> None:
    import socket

    from kakao_receiver._worker import _send_rest

    server, client = socket.socketpair()
    conn = type("Conn", (), {"sock": server})()
    rest = b"y" * (4 * 2**20)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("keepalive", _send_rest(conn, rest, True)))  # type: ignore[arg-type]
    thread.start()
    received = 0
    while received < len(rest):
        received += len(client.recv(2**20))
    thread.join(10)
    assert outcome == {"keepalive": True} and received == len(rest)

    client.close()
    assert _send_rest(conn, rest, True) is False  # type: ignore[arg-type]
    server.close()


def test_the_watch_reads_whether_the_evaluator_was_ever_heard_until_it_was_then_knows(tmp_path: Path) -> None:
    from kakao_receiver._statefile import StateFile
    from kakao_receiver._watch import Watch

    path = tmp_path / "outbox.db"
    Outbox(path)
    mine, other = Watch(StateFile(path)), Watch(StateFile(path))
    assert mine.ever_heard() is False
    other.beat(1000.0, 1001.0)  # another worker heard the first heartbeat
    assert mine.ever_heard() is True
    assert mine.ever_heard() is True and mine.sight().last_beat == 1000.0
