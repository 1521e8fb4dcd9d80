"""The network between two real parts, on loopback, for a test to cut: a TCP relay.

``Relay(target_port)`` listens on a free port of 127.0.0.1 and passes every connection through to
``target_port``. ``cut("drop")`` is a partition that drops packets: connections are taken and
then nothing passes either way, so the client waits for its timeout; ``cut("refuse")`` is one
that rejects them: connections are reset at once. Either way the connections open at the cut are
broken. ``heal()`` lets new connections through again.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from typing import Literal

from tests.realparts.prometheus import free_port

Cut = Literal["drop", "refuse"]


class Relay:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.mode: Cut | None = None
        self.port = 0
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._held: list[socket.socket] = []
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        for _attempt in range(3):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind(("127.0.0.1", free_port()))
            except OSError:
                listener.close()
                continue
            listener.listen(128)
            self._listener = listener
            self.port = listener.getsockname()[1]
            threading.Thread(target=self._accept, name=f"relay-{self.port}", daemon=True).start()
            return self
        raise RuntimeError("no free port for the relay")

    def cut(self, mode: Cut = "drop") -> None:
        with self._lock:
            self.mode = mode
            for conn in list(self._open):
                _break(conn)  # its pump wakes, sees the end and closes it

    def heal(self) -> None:
        with self._lock:
            self.mode = None
            for conn in self._held:
                _reset(conn)
            self._held.clear()

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        self.cut("refuse")
        self.heal()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the relay ---------------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                if mode == "drop":
                    self._held.append(client)  # taken, never answered
                    continue
            if mode == "refuse":
                _reset(client)
                continue
            threading.Thread(target=self._pass, args=(client,), daemon=True).start()

    def _pass(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            _reset(client)  # the part behind is down: the client sees it refused
            return
        server.settimeout(None)
        with self._lock:
            if self.mode is not None:
                _reset(client)
                _reset(server)
                return
            self._open.update((client, server))
        ends = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select(list(ends), [], [], 0.5)
                if self._stop.is_set():
                    return
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    ends[source].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(server)
            for conn in (client, server):
                with contextlib.suppress(OSError):
                    conn.close()


def _break(conn: socket.socket) -> None:
    """Break an open connection that a pump thread is reading: it will close it with a reset."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _reset(conn: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0), as a rejecting firewall or a broken path shows."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.close()
