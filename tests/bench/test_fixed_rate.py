"""bench/fixed_rate.py: requests go out at the rate asked, and a stalled server's backlog counts in the latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.fixed_rate import load

HEAD = b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.bodies: list[bytes] = []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        time.sleep(self.server.delay)
        status = 200 if b'"fixed-3"' not in body else 503  # this request's body: bodies[-1] may be another thread's
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Server]:
    server = Server(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("served", [0.0], indirect=True)
def test_every_request_due_is_sent_once_each_distinct_and_answers_are_counted(served: Server) -> None:
    outcome = load("127.0.0.1", served.server_address[1], HEAD, b'{"n": "__N__"}', 200, 0.5, 4)

    assert outcome.due == 100
    assert len(served.bodies) == 100 and len(set(served.bodies)) == 100
    assert len(outcome.latencies) == 99 and outcome.non2xx == 1 and outcome.errors == 0  # fixed-3 was a 503


@pytest.mark.parametrize("served", [0.05], indirect=True)
def test_the_wait_for_a_free_connection_counts_in_the_latency(served: Server) -> None:
    # one connection, a request due every 10 ms, each answered after 50 ms: the backlog grows, and
    # so does the latency counted from when each was due (a closed loop would report ~50 ms for all)
    outcome = load("127.0.0.1", served.server_address[1], HEAD, b'{"n": "__N__"}', 100, 0.3, 1)

    ordered = sorted(outcome.latencies)
    assert ordered[0] >= 0.05
    assert ordered[-1] > 0.05 * 10  # the last ones waited for the 20 before them
