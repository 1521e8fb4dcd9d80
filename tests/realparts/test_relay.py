"""The relay the partition tests cut: it passes traffic, and a cut drops or refuses it until healed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.realparts.relay import Relay


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def relay() -> Iterator[Relay]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Relay(server.server_address[1]) as made:
            yield made
    finally:
        server.shutdown()
        server.server_close()


def get(relay: Relay) -> str:
    with requests.Session() as session:  # a new connection each time
        return session.get(relay.url, timeout=1).text


def test_it_passes_traffic_until_cut_and_again_once_healed(relay: Relay) -> None:
    assert get(relay) == "hello"
    relay.cut("refuse")
    with pytest.raises(requests.ConnectionError):
        get(relay)
    relay.heal()
    assert get(relay) == "hello"


def test_a_dropping_cut_takes_the_connection_and_answers_nothing(relay: Relay) -> None:
    relay.cut("drop")
    with pytest.raises(requests.ReadTimeout):
        get(relay)
    relay.heal()
    assert get(relay) == "hello"


def test_a_cut_breaks_the_connections_open_through_it(relay: Relay) -> None:
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: relay\r\n\r\n")
        answer = b""
        while not answer.endswith(b"hello"):
            answer += conn.recv(4096)
        relay.cut("refuse")
        try:
            ended = conn.recv(4096)
        except ConnectionResetError:
            ended = b""
    assert ended == b""
