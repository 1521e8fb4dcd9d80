"""The receiver under gunicorn (the shipped worker model) against slow and hostile clients.

No timing is asserted: each test checks *that* something was answered while the hostile
clients still held their connections, or *what* it was answered.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kakao_receiver._app import MAX_BODY
from kakao_receiver._outbox import Outbox
from tests.realparts.prometheus import free_port
from tests.standins.kakao import KakaoStandIn

from .test_app import TOKEN
from .test_gunicorn import Gunicorn, notification, receiver_project, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, KakaoStandIn, Path]]:
    directory = tmp_path_factory.mktemp("hostile")
    port = free_port()
    with KakaoStandIn() as kakao:
        config = receiver_project(directory, kakao.url, port=port)
        with Gunicorn(config, port, kakao.environ) as server:
            yield server, kakao, directory


def stalled(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that sent headers (half announce a body, half stop mid-headers) and stall."""
    opened = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        sock.sendall(head + (b"Content-Length: 1000\r\n\r\n{" if index % 2 else b"Authorization: Bea"))
        opened.append(sock)
    return opened


def still_open(sock: socket.socket) -> bool:
    """The server has neither answered nor closed this connection."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_a_hundred_stalled_clients_do_not_keep_healthz_or_webhooks_waiting(
    served: tuple[Gunicorn, KakaoStandIn, Path],
) -> None:
    server, _, directory = served
    hostile = stalled(server.port, 100)
    try:
        health = requests.get(f"{server.url}/healthz", timeout=60)
        answer = server.post(notification(901))
        held = sum(still_open(sock) for sock in hostile)
    finally:
        for sock in hostile:
            sock.close()

    assert health.status_code == 200 and answer.status_code == 200
    assert held == 100  # answered while every stalled client still held its connection
    outbox = Outbox(directory / "var" / "khp-outbox.db")
    wait_until(lambda: any(r["state"] == "sent" for r in outbox.rows(answer.json()["id"])), "the webhook delivered")


def test_a_client_that_stops_sending_is_answered_408_and_closed(served: tuple[Gunicorn, KakaoStandIn, Path]) -> None:
    server, _, _ = served
    partial_head, body_announced = stalled(server.port, 2)
    with contextlib.closing(partial_head), contextlib.closing(body_announced):
        answers = partial_head.recv(4096), body_announced.recv(4096)
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    assert "refused a request from 127.0.0.1" in server.log()


def test_a_chunk_size_line_that_never_ends_is_400_at_once_and_others_are_answered(
    served: tuple[Gunicorn, KakaoStandIn, Path],
) -> None:
    server, _, _ = served
    head = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    hostile = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(4)]
    try:
        for sock in hostile:  # whoever waited for the end of that line would wait for the request's timeout
            sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 2000)
        answer = server.post(notification(903))
        refusals = [sock.recv(4096) for sock in hostile]
    finally:
        for sock in hostile:
            sock.close()

    assert answer.status_code == 200
    assert all(refusal.startswith(b"HTTP/1.1 400 Bad Request") for refusal in refusals)
    assert b"a chunk size line never ends" in refusals[0]


@pytest.mark.parametrize("path", ["/alertmanager", "/kakao/skill", "/kakaowork/callback"])
def test_nesting_a_hundred_thousand_deep_is_400_never_500(
    served: tuple[Gunicorn, KakaoStandIn, Path], path: str
) -> None:
    server, _, _ = served
    deep = b'{"version": "4", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    answer = requests.post(f"{server.url}{path}", data=deep, headers=headers, timeout=60)
    # the bot endpoints have no secret in this project: they refuse before reading (fail closed)
    assert answer.status_code == (400 if path == "/alertmanager" else 403)
    if path == "/alertmanager":
        assert answer.json() == {"error": "body is nested deeper than 64 levels"}


def test_a_body_over_the_limit_is_413_without_being_read_chunked_or_not(
    served: tuple[Gunicorn, KakaoStandIn, Path],
) -> None:
    server, _, _ = served
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {50 * 2**20}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")  # at once: not a byte of the body was sent

    sent = {"bytes": 0}
    answered = threading.Event()

    def chunks() -> Iterator[bytes]:
        piece = b"[" + b"0," * (2**19) + b"0]"
        while sent["bytes"] < 50 * 2**20 and not answered.is_set():
            sent["bytes"] += len(piece)
            yield piece

    with contextlib.suppress(requests.ConnectionError):
        chunked = requests.post(f"{server.url}/alertmanager", data=chunks(), headers=headers, timeout=60)
        answered.set()
        assert chunked.status_code == 413
        assert "over the limit" in json.loads(chunked.content)["error"]
    assert sent["bytes"] < 50 * 2**20  # refused before the client got to send it all
    assert sent["bytes"] >= MAX_BODY  # ... and only once it had sent more than the limit
