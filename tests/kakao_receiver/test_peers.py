"""The table of connections per worker (``_peers``), and the workers of real gunicorn sharing clients by it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from kakao_receiver._peers import Peers
from tests.realparts.prometheus import free_port
from tests.standins.kakao import KakaoStandIn

from .test_gunicorn import Gunicorn, receiver_project, wait_until


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_worker_sees_the_fewest_connections_of_the_others_not_its_own() -> None:
    peers = Peers(slots=4)
    mine, other = peers.join(os.getpid()), peers.join(os.getppid())
    assert mine is not None and other is not None and mine != other

    peers.hold(mine, 1)
    peers.hold(other, 9)
    assert peers.fewest(mine) == 9
    assert peers.fewest(other) == 1

    peers.leave(other)
    assert peers.fewest(mine) is None


def test_a_slot_of_a_process_that_died_without_leaving_is_skipped_and_taken_again() -> None:
    peers = Peers(slots=3)
    mine = peers.join(os.getpid())
    gone = peers.join(dead_pid())
    assert mine == 0 and gone == 1

    assert peers.fewest(mine) is None  # a dead worker holding nothing must not draw connections
    assert peers.join(os.getppid()) == gone


def test_when_every_slot_is_held_by_a_live_process_joining_gives_none() -> None:
    peers = Peers(slots=1)
    assert peers.join(os.getppid()) == 0
    assert peers.join(os.getpid()) is None


def test_workers_forked_after_the_table_was_made_share_it() -> None:
    peers = Peers(slots=8)
    mine = peers.join(os.getpid())
    assert mine is not None
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked worker
        slot = peers.join(os.getpid())
        peers.hold(slot or 0, 7)
        os.write(ready_w, b"x")
        os.read(done_r, 1)
        os._exit(0)
    try:
        os.read(ready_r, 1)
        assert peers.fewest(mine) == 7
    finally:
        os.write(done_w, b"x")
        os.waitpid(child, 0)
    assert peers.fewest(mine) is None  # it exited (without leaving): skipped
    for fd in (ready_r, ready_w, done_r, done_w):
        os.close(fd)


# -- real gunicorn ---------------------------------------------------------------------------------


def owners(port: int, workers: list[int]) -> Counter[int]:
    """How many of the server's established connections on ``port`` each worker holds (from ``/proc``)."""
    inodes = {}
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed since the listing
                continue
            if target.startswith("socket:["):
                inodes[target[8:-1]] = pid
    held: Counter[int] = Counter()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == port and state == "01" and inode in inodes:  # 01: ESTABLISHED
            held[inodes[inode]] += 1
    return held


def connect_and_ask(port: int) -> socket.socket:
    """A kept-alive connection that has had one answer (so a worker has accepted it)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return sock


@pytest.fixture
def two_workers(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    with KakaoStandIn() as kakao:
        config = receiver_project(tmp_path, kakao.url, port=port)
        with Gunicorn(config, port, kakao.environ, workers=2) as server:
            wait_until(lambda: server.log().count("accepts connections (shared evenly") == 2, "both workers ready")
            # the connections of start()'s health checks are closed, and the workers know it
            wait_until(lambda: not owners(port, server.worker_pids()), "the health checks' connections closed")
            yield server


@pytest.mark.slow
def test_sixteen_kept_alive_clients_are_shared_evenly_by_two_workers(two_workers: Gunicorn) -> None:
    clients = [connect_and_ask(two_workers.port) for _ in range(16)]
    try:
        held = owners(two_workers.port, two_workers.worker_pids())
    finally:
        for sock in clients:
            sock.close()

    assert sorted(held.values()) == [8, 8], held


@pytest.mark.slow
def test_a_worker_takes_the_connections_a_stopped_peer_cannot(two_workers: Gunicorn) -> None:
    """A peer holding fewer connections but not accepting (stopped, stuck) is not waited for."""
    clients = [connect_and_ask(two_workers.port) for _ in range(2)]
    held = owners(two_workers.port, two_workers.worker_pids())
    assert sorted(held.values()) == [1, 1], held
    stopped = two_workers.worker_pids()[0]
    os.kill(stopped, signal.SIGSTOP)
    try:
        clients += [connect_and_ask(two_workers.port) for _ in range(4)]
        held = owners(two_workers.port, two_workers.worker_pids())
    finally:
        os.kill(stopped, signal.SIGCONT)
        for sock in clients:
            sock.close()

    assert held[stopped] == 1 and sum(held.values()) == 6, held
