"""The receiver's gunicorn worker: threads that never wait on a slow or hostile client.

gunicorn's threaded worker (``gthread``) hands a connection to a thread as soon as its first
bytes arrive, and the thread then blocks until the whole request is read: a hundred clients
that send their headers and stall hold every thread, and ``/healthz`` and Alertmanager wait.
``ReceiverWorker`` reads each request in the worker's event loop instead, without blocking,
and only once it is whole runs it: Alertmanager's webhook in the loop itself, one greenlet
each, the durable writes of a round of events committed together (``_cooperative``; the app
names those paths in ``app.extensions["khp_cooperative_paths"]``, and the answer is sent without
blocking, a thread sending what a client that does not read leaves over), every other request
in a thread, so threads only ever run the app:

* a request must arrive whole within ``REQUEST_TIMEOUT`` (10 s), else it is answered 408 and
  closed; a connection that sends nothing is closed after that time;
* headers over ``HEAD_LIMIT`` are answered 431; a body announced or sent (chunked) over the
  receiver's ``MAX_BODY`` is answered 413 as soon as that is known, never read further; a chunk
  size line over ``CHUNK_LINE_LIMIT`` is answered 400 (nothing ever waits for its end);
* all the bytes held for requests still arriving stay under ``BUFFER_BUDGET`` per process
  (beyond it: 503, which Alertmanager retries);
* while the loop has webhooks to answer the app hears it is busy (``app.extensions["khp_busy_while"]``:
  its delivery threads send in the gaps), until a round of events finds none ready;
* a worker that holds more connections than another leaves a new one to it (``_peers``), for
  ``LEAVE_AT_MOST`` at most: a client keeps its connection, and one worker holding most of
  them answers each of their requests several times slower than the others would.

Run it with ``gunicorn -c python:kakao_receiver.gunicorn_conf 'kakao_receiver.wsgi:app'``.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import select
import selectors
import socket
import time
from collections.abc import Callable
from concurrent import futures
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from ._cooperative import Loop
from ._peers import Peers

REQUEST_TIMEOUT = 10.0
HEAD_LIMIT = 64 * 1024
BUFFER_BUDGET = 64 * 1024 * 1024
READ_SIZE = 256 * 1024
CHUNK_LINE_LIMIT = 1024  # bytes of a chunk's size line (a hex size and extensions)
LEAVE_AT_MOST = 0.05  # seconds a new connection is left to a worker holding fewer, before this one takes it
LOOK_AGAIN = 0.002  # seconds between looks at whether a connection left to a peer was taken
PEERS = Peers()  # imported by the gunicorn master: shared by the workers it forks
_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}  # fmt: skip
MORE = "more"
READY = "ready"


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def request_state(data: bytes | bytearray, limit: int, head_limit: int = HEAD_LIMIT) -> str | Refusal:
    """Whether ``data`` holds a whole HTTP/1.x request (``READY``), needs ``MORE``, or is refused.

    Only what decides "whole" is read here (the end of the headers, ``Content-Length``, the
    chunked framing); anything malformed is ``READY`` so that gunicorn's parser answers it.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return Refusal(431, f"request headers over {head_limit} bytes") if len(data) > head_limit else MORE
    if end > head_limit:
        return Refusal(431, f"request headers over {head_limit} bytes")
    length, chunked, expect = None, False, False
    for line in bytes(data[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = value.strip()
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"expect":
            expect = value.strip().lower() == b"100-continue"
    start = end + 4
    if chunked:
        return _chunked(data, start, limit)
    if length is None:
        return READY
    try:
        size = int(length)
    except ValueError:
        return READY
    if size > limit:
        return Refusal(413, f"body of {size} bytes is over the limit of {limit}")
    if len(data) - start >= size:
        return READY
    return "expect" if expect and len(data) == start else MORE


def _chunked(data: bytes | bytearray, position: int, limit: int) -> str | Refusal:
    total = 0
    while True:
        eol = data.find(b"\r\n", position)
        if eol < 0:  # a size line that does not end: gunicorn would wait for the rest, blocking whoever runs it
            return MORE if len(data) - position < CHUNK_LINE_LIMIT else Refusal(400, "a chunk size line never ends")
        try:
            size = int(bytes(data[position:eol]).split(b";")[0].strip(), 16)
        except ValueError:
            return READY
        position = eol + 2
        if size == 0:
            if data[position : position + 2] == b"\r\n" or data.find(b"\r\n\r\n", position - 2) >= 0:
                return READY
            return MORE
        total += size
        if total > limit:
            return Refusal(413, f"chunked body over the limit of {limit} bytes")
        if len(data) < position + size + 2:
            return MORE
        position += size + 2


class _Conn(TConn):
    """A connection whose request is read by the event loop; the thread gets it whole."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.pending = bytearray()
        self.deadline = 0.0
        self.continued = False
        self.answer = b""  # what the app answered in the event loop, not sent yet

    def init(self) -> None:
        super().init()
        if self.pending:
            self.parser.unreader.unread(bytes(self.pending))
            self.pending = bytearray()
        # whatever the thread still reads from the socket (a pipelined request) is bounded too
        self.sock.settimeout(max(0.5, self.deadline - time.monotonic()))


class ReceiverWorker(ThreadWorker):
    """gunicorn's threaded worker, reading requests in its event loop (see the module's docstring)."""

    request_timeout = REQUEST_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ._app import MAX_BODY

        self.body_limit = MAX_BODY
        self._reading: dict[_Conn, None] = {}
        self._buffered = 0
        self._slot: int | None = None
        self._joined = False
        self._leaving_since: float | None = None  # a new connection is being left to a peer, since
        self._look_again_at = 0.0
        self._loop: Loop | None = None
        self._in_loop: frozenset[bytes] = frozenset()  # request paths answered in the event loop
        self._busy_while: Callable[[], AbstractContextManager[object]] | None = None
        self._busy: AbstractContextManager[object] | None = None

    def run(self) -> None:
        self._loop = Loop()
        extensions = getattr(self.wsgi, "extensions", {})  # what the app tells its worker (``_app``)
        self._in_loop = frozenset(path.encode() for path in extensions.get("khp_cooperative_paths", ()))
        self._busy_while = extensions.get("khp_busy_while")
        # the app, its configuration and modules are never garbage: out of the collector's sight, a
        # full collection, which stops every webhook of the worker, takes about 1 ms instead of ~50
        gc.freeze()
        super().run()

    def init_process(self) -> None:
        try:
            super().init_process()  # runs the worker until it stops
        finally:
            if self._slot is not None:
                PEERS.leave(self._slot)

    # -- sharing the clients with the other workers ----------------------------------------------

    def set_accept_enabled(self, enabled: bool) -> None:
        if not self.alive and self._slot is not None:  # stopping: peers must not leave connections to it
            PEERS.leave(self._slot)
            self._slot = None
        super().set_accept_enabled(enabled and time.monotonic() >= self._look_again_at)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if not self._joined:  # the app is loaded and the loop runs: peers may leave connections to it now
            self._joined = True
            self._slot = PEERS.join(os.getpid())
            how = "shared evenly with its peers" if self._slot is not None else "too many peers to share them"
            self.log.info("worker %d accepts connections (%s)", os.getpid(), how)
        if self._slot is not None:
            PEERS.hold(self._slot, self.nr_conns)
        now = time.monotonic()
        if self._leaving_since is not None:
            if now < self._look_again_at:
                timeout = min(timeout, self._look_again_at - now)
            elif not _waiting(self.sockets):  # a peer took it
                self._leaving_since = None
        self._dispatch(timeout)
        if self._loop is not None:
            self._loop.flush()  # the webhooks of this round, parked for their commit: one transaction

    def _dispatch(self, timeout: float) -> None:
        """gunicorn's wait for events and their callbacks; the app hears "busy" until a round finds none ready."""
        try:
            events = self.poller.select(0) if self._busy is not None else []
            if not events:
                self._idle()
                events = self.poller.select(timeout)
            for key, _ in events:
                key.data(key.fileobj)
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise

    def _idle(self) -> None:
        if self._busy is not None:
            busy, self._busy = self._busy, None
            busy.__exit__(None, None, None)

    def _leave_to_peer(self) -> bool:
        """Whether to leave the waiting connection to a worker holding fewer (look again shortly)."""
        fewest = PEERS.fewest(self._slot) if self._slot is not None else None
        now = time.monotonic()
        if fewest is None or self.nr_conns <= fewest:
            self._leaving_since = None
            return False
        if self._leaving_since is None:
            self._leaving_since = now
        elif now - self._leaving_since >= LEAVE_AT_MOST:  # the peer is busy or stuck: take it
            self._leaving_since = None
            return False
        self._look_again_at = now + LOOK_AGAIN
        self.set_accept_enabled(False)
        return True

    # -- connections -----------------------------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        if self._leave_to_peer():
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_request(_Conn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection has a new request: read it like a new one."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        assert isinstance(conn, _Conn)
        self._read_request(conn)
        self._readable(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self._reading if c.deadline <= now]:
            if conn.pending:
                self._refuse(conn, 408, f"the request did not arrive whole within {self.request_timeout:g}s")
            else:
                self._close(conn)

    # -- reading ---------------------------------------------------------------------------------

    def _read_request(self, conn: _Conn) -> None:
        conn.pending = bytearray()
        conn.continued = False
        conn.deadline = time.monotonic() + self.request_timeout
        conn.sock.setblocking(False)
        self._reading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: _Conn, _client: object) -> None:
        self._readable(conn)

    def _readable(self, conn: _Conn) -> None:
        if conn not in self._reading:
            return
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        conn.pending += data
        self._buffered += len(data)
        state = request_state(conn.pending, self.body_limit)
        if isinstance(state, Refusal):
            self._refuse(conn, state.status, state.reason)
        elif state == READY:
            self._stop_reading(conn)
            conn.data_ready = True
            if self._loop is not None and _path(conn.pending) in self._in_loop:
                if self._busy is None and self._busy_while is not None:
                    self._busy = self._busy_while()
                    self._busy.__enter__()
                self._loop.spawn(self._serve_in_loop, conn)
            else:
                self.enqueue_req(conn)
        elif self._buffered > BUFFER_BUDGET:
            self._refuse(conn, 503, "too many requests are arriving at once; retry")
        elif state == "expect" and not conn.continued:
            conn.continued = True
            _send(conn.sock, b"HTTP/1.1 100 Continue\r\n\r\n")

    # -- answering in the event loop (``_cooperative``) ------------------------------------------------

    def _serve_in_loop(self, conn: _Conn) -> None:
        """gunicorn's ``handle`` in a request greenlet; the answer is sent without blocking the loop."""
        try:
            keepalive = self.handle(conn)  # answers every error of the app or the client itself
        except Exception:  # a fault of the worker's own: the loop must go on; the client may retry
            self.log.exception("error answering a request in the event loop; closing its connection")
            keepalive, conn.answer = False, b""
        answer, conn.answer = conn.answer, b""
        rest = _send_now(conn.sock, answer) if answer else b""
        if rest is None:
            keepalive = False
        elif rest:  # the client is not reading: a thread sends the rest, bounded by the socket's timeout
            future = self.tpool.submit(_send_rest, conn, rest, keepalive)
            future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))
            return
        done: futures.Future[Any] = futures.Future()
        done.set_result(keepalive)
        self.finish_request(conn, done)

    def handle_request(self, req: Any, conn: Any) -> Any:
        if self._loop is None or not self._loop.inside():
            return super().handle_request(req, conn)
        real, answer = conn.sock, _Answer(conn.sock)
        conn.sock = answer  # gunicorn writes the response here; the loop sends it
        try:
            return super().handle_request(req, conn)
        finally:
            conn.sock = real
            conn.answer = bytes(answer.data)

    def _stop_reading(self, conn: _Conn) -> None:
        if self._reading.pop(conn, False) is None:
            self._buffered -= len(conn.pending)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    def _close(self, conn: _Conn) -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()

    def _refuse(self, conn: _Conn, status: int, reason: str) -> None:
        body = json.dumps({"error": reason}).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
            + ("Retry-After: 5\r\n" if status == 503 else "")
            + "\r\n"
        )
        self.log.warning("refused a request from %s: %d %s", _peer(conn.client), status, reason)
        _send(conn.sock, head.encode() + body)
        self._close(conn)


class _Answer:
    """Stands for a client's socket while the app answers in the event loop: keeps what is written."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = bytearray()

    def sendall(self, data: bytes, _flags: int = 0) -> None:
        self.data += data

    def send(self, data: bytes, _flags: int = 0) -> int:
        self.data += data
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def _path(request: bytes | bytearray) -> bytes:
    """The path of a whole request's ``POST`` line, else ``b""``."""
    line = bytes(request[: request.find(b"\r\n")])
    method, _, rest = line.partition(b" ")
    return rest.partition(b" ")[0].partition(b"?")[0] if method == b"POST" else b""


def _send_now(sock: socket.socket, data: bytes) -> bytes | None:
    """Send what the socket takes now; what is left (``b""``: all sent), or ``None`` if the client is gone."""
    try:
        sock.setblocking(False)
        sent = sock.send(data)
    except (BlockingIOError, InterruptedError):
        sent = 0
    except OSError:
        return None
    return data[sent:]


def _send_rest(conn: _Conn, rest: bytes, keepalive: Any) -> Any:
    """In a thread: the rest of an answer, within the request timeout; whether to keep the connection."""
    try:
        conn.sock.settimeout(REQUEST_TIMEOUT)
        conn.sock.sendall(rest)
    except OSError:
        return False
    return keepalive


def _waiting(listeners: list[Any]) -> bool:
    """Whether a connection waits to be accepted on any of ``listeners``."""
    try:
        readable, _, _ = select.select(listeners, [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(readable)


def _send(sock: socket.socket, data: bytes) -> None:
    """Best effort, without blocking: the client is being refused or told to go on."""
    with contextlib.suppress(OSError):
        sock.send(data)


def _peer(client: Any) -> str:
    if isinstance(client, tuple) and len(client) >= 2:
        return f"{client[0]}:{client[1]}"
    return str(client)
