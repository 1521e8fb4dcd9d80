"""Builders for the bridge's tests: problems, cycle results, a configuration, and a loopback
stand-in for Alertmanager's alert API that records what it is sent and can fail on demand."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evaluator import CycleRecord, CycleResult, MonitorRecord, Problem
from khp.configuration import AlertmanagerConfig, Config, EvaluationConfig, StoreConfig

T0 = 1795946400.0  # 2026-11-29T10:00:00Z, an evaluation time
SOURCE = "https://git.example/khp/blob/main/evaluator/monitors/hdfs.py#L12"


def problem(
    check: str = "Disk full",
    cluster: str | None = "alpha",
    host: str | None = "a-dn1",
    severity: str = "warning",
    monitor: str = "HdfsMonitor",
    value: float | None = 91.5,
    pending: float | None = None,
    **fields: Any,
) -> Problem:
    options: dict[str, Any] = {
        "compare": ">",
        "threshold": 90.0,
        "description": "Disk usage above threshold",
        "source": SOURCE,
        "service": "hdfs",
    }
    options.update(fields)
    return Problem(
        check=check,
        monitor=monitor,
        cluster=cluster,
        host=host,
        severity=severity,
        value=value,
        pending=pending,
        **options,
    )


def cycle(at: float, problems: Iterable[Problem] = (), failed: Iterable[str] = ()) -> CycleResult:
    """A cycle's result as the evaluator gives it: problems, and monitors that failed."""
    found = list(problems)
    monitors = {p.monitor: MonitorRecord(p.monitor) for p in found}
    for name in failed:
        monitors[name] = MonitorRecord(name, "failed", error="SourceUnavailable: metrics: connection refused")
    return CycleResult(found, CycleRecord(at=at, started=at, monitors=monitors))


def config(
    store: Path,
    urls: Iterable[str],
    *,
    interval: float = 60.0,
    pending: float = 300.0,
    resend: float = 60.0,
    resolved_resend: float = 900.0,
    retries: int = 0,
    timeout: float = 5.0,
) -> Config:
    return Config(
        store=StoreConfig(path=store),
        evaluation=EvaluationConfig(interval=interval, pending=pending),
        alertmanager=AlertmanagerConfig(
            urls=tuple(urls), timeout=timeout, resend_interval=resend, resolved_resend=resolved_resend, retries=retries
        ),
    )


class FakeClock:
    """A wall clock a test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class AlertSink:
    """A loopback stand-in for ``POST /api/v2/alerts``: records each request's alerts and answers
    ``status`` (200 with an empty body, as Alertmanager does). While ``hold`` is set it does not
    answer at all (a hung Alertmanager) until released."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[list[dict[str, Any]]] = []
        self.answered: list[int] = []
        self.hold = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if sink.hold.is_set():
                    sink.released.wait(30)
                with sink._lock:
                    status = sink.status
                    sink.answered.append(status)
                    if status == 200:
                        sink.posts.append(json.loads(body))
                    sink._lock.notify_all()
                answer = b"" if status == 200 else b'"unavailable"'
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """Every alert accepted so far, in order, but for the heartbeat."""
        return [alert for alert in self.everything if alert["labels"]["alertname"] != "Heartbeat"]

    @property
    def heartbeats(self) -> list[dict[str, Any]]:
        """The heartbeat alerts accepted so far."""
        return [alert for alert in self.everything if alert["labels"]["alertname"] == "Heartbeat"]

    @property
    def everything(self) -> list[dict[str, Any]]:
        with self._lock:
            return [alert for post in self.posts for alert in post]

    def __enter__(self) -> AlertSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sink() -> Iterator[AlertSink]:
    with AlertSink() as server:
        yield server


def dead_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
