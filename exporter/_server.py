"""Serving a registry over HTTP (``/metrics``, any path works), and rendering it for benchmarks."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, generate_latest, start_http_server

from ._errors import ExporterError


class MetricsServer:
    """A running exposition server; ``stop()`` (or leaving the ``with`` block) closes its socket."""

    def __init__(self, httpd: WSGIServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self.host, self.port = str(httpd.server_address[0]), int(httpd.server_address[1])

    @property
    def address(self) -> str:
        """``host:port`` as Prometheus' ``targets`` take it (the real port when 0 was asked for)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/metrics"

    def stop(self) -> None:
        """Stop answering and close the socket; waits for the serving thread."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_listen(listen: str) -> tuple[str, int]:
    """``'host:port'`` (``'[::1]:9464'`` for IPv6, ``':9464'`` for every interface) as (host, port)."""
    if not listen:
        raise ExporterError("exporter.listen is '': the exporter is off; check it before calling serve()")
    host, colon, port = listen.rpartition(":")
    if not colon or not port.isdigit() or int(port) > 65535:
        raise ExporterError(
            f"exporter.listen: expected 'host:port' such as '127.0.0.1:9464', got {listen!r};"
            " set it to '' to turn the exporter off"
        )
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host or "0.0.0.0", int(port)


def serve(listen: str, registry: CollectorRegistry) -> MetricsServer:
    """Serve ``registry`` at ``listen`` (``exporter.listen``) from a daemon thread; port 0 picks a free port."""
    host, port = parse_listen(listen)
    try:
        httpd, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise ExporterError(
            f"exporter.listen {listen!r}: cannot serve /metrics there ({exc.strerror or exc});"
            " choose a free address, or set exporter.listen to '' to turn the exporter off"
        ) from None
    return MetricsServer(httpd, thread)


def render(registry: CollectorRegistry) -> bytes:
    """What a scrape of ``registry`` returns, in the Prometheus text format."""
    return generate_latest(registry)
