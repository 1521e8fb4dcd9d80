"""The servers ``khp demo`` runs beside the evaluator: a real Alertmanager with the rendered
config, and the khp receiver printing its messages on the console channel; and the demo's clock.

Everything listens on free loopback ports and lives under the demo's directory; ``close()``
stops it all.
"""

from __future__ import annotations

import bisect
import dataclasses
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from khp.configuration import AlertmanagerConfig, Config, RouteTimings, RoutingConfig
from khp.history import HistoryEvent
from khp.routing import render_alertmanager_yaml

Recorder = Callable[[Sequence[HistoryEvent]], None]

# Demo minutes pass every few seconds, so Alertmanager's batching is shortened to match.
DEMO_TIMINGS = RouteTimings(group_wait=2.0, group_interval=5.0, repeat_interval=3600.0)


class DemoClock:
    """The demo's time: one simulated minute per cycle, a cycle every ``tick`` real seconds.

    The evaluator and the alert bridge stamp their history events with the simulated time of
    the cycle. Alertmanager and the receiver work in real time (Alertmanager compares alerts'
    stamps with its own clock), and the receiver records when it delivered a message:
    ``simulated(real)`` puts that moment where it fell between the cycles, on the simulated
    time, so that every event of the demo's history carries the one clock (and ``khp stats``
    finds each notification after the alert it is about).
    """

    def __init__(self, step: float, tick: float, real: Callable[[], float] = time.time) -> None:
        self.step = step
        self.tick = tick
        self.real = real
        self._marks: list[tuple[float, float]] = []  # (real, simulated) at each cycle, oldest first
        self._lock = threading.Lock()

    def cycle(self, at: float) -> None:
        """A cycle evaluates simulated time ``at`` now."""
        with self._lock:
            self._marks.append((self.real(), at))
            del self._marks[:-10_000]

    def simulated(self, real: float) -> float:
        """The simulated time of the real moment ``real`` (epoch seconds)."""
        with self._lock:
            marks = list(self._marks)
        if not marks:
            return real
        after = bisect.bisect_right(marks, real, key=itemgetter(0))
        if after == 0:
            return marks[0][1]
        real_before, before = marks[after - 1]
        if after < len(marks):  # between two cycles: as far between them as it came
            real_next, next_at = marks[after]
            return before + (next_at - before) * (real - real_before) / max(real_next - real_before, 1e-9)
        if self.tick <= 0:
            return before
        return before + min(self.step, (real - real_before) * self.step / self.tick)  # not past the next cycle

    def retimed(self, record: Recorder) -> Recorder:
        """``record``, given the events with their real times put on the simulated time."""

        def record_simulated(events: Sequence[HistoryEvent]) -> None:
            record([dataclasses.replace(event, time=self.simulated(event.time)) for event in events])

        return record_simulated


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alertmanager_binary() -> str | None:
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class DemoAlertmanager:
    """One Alertmanager process for the demo, configured from the demo's khp config."""

    def __init__(self, directory: Path, binary: str) -> None:
        self.directory = directory
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, config: Config, wait: float = 20.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "alertmanager.yml").write_text(render_alertmanager_yaml(config), encoding="utf-8")
        log = open(self.directory / "alertmanager.log", "ab")  # noqa: SIM115 - the process owns it until stop()
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.directory / 'alertmanager.yml'}",
                f"--storage.path={self.directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                f"--web.external-url={self.url}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Alertmanager did not start; see {self.directory / 'alertmanager.log'}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def demo_config(config: Config, directory: Path, alertmanager_url: str, receiver_url: str) -> Config:
    """The demo's config: its Alertmanager, short batching, a receiver token file of its own."""
    token = directory / "receiver-token"
    directory.mkdir(parents=True, exist_ok=True)
    if not token.exists():
        token.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        token.chmod(0o600)
    routing = RoutingConfig(
        receiver_url=receiver_url,
        credentials_file=str(token.resolve()),
        channels=config.routing.channels,
        timings=DEMO_TIMINGS,
    )
    clusters = {name: dataclasses.replace(cluster, routing=RouteTimings()) for name, cluster in config.clusters.items()}
    return dataclasses.replace(
        config,
        alertmanager=AlertmanagerConfig(urls=(alertmanager_url,), timeout=5.0, resend_interval=60.0),
        routing=routing,
        clusters=clusters,
    )


class DemoReceiver:
    """The khp receiver for the demo: Alertmanager's webhook in, messages on the console channel.

    Served in this process by werkzeug's threaded server on a free loopback port; the rooms are
    ``console:warning`` and ``console:critical``, so the demo's chat messages print in its output.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.server: Any = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alertmanager"

    def configure(self, config: Config) -> Config:
        """``config`` with console rooms and a receiver section of the demo's own."""
        routing = dataclasses.replace(
            config.routing, channels={"warning": ("console:warning",), "critical": ("console:critical",)}
        )
        receiver = {
            "token_file": config.routing.credentials_file,
            "outbox": str(self.directory / "outbox.db"),
            "channels": {"console": {"stream": "stdout"}},
            "delivery": {"backoff": "1s", "max_backoff": "5s", "lease": "30s", "workers": 1},
        }
        components = {**config.components, "receiver": receiver}
        clusters = {name: dataclasses.replace(c, channels={}) for name, c in config.clusters.items()}
        return dataclasses.replace(config, routing=routing, components=components, clusters=clusters)

    def start(self, config: Config, history: Recorder | None = None) -> None:
        """Serve the receiver; ``history`` records its events (by default the configured history)."""
        from werkzeug.serving import make_server

        from kakao_receiver import create_app

        self.directory.mkdir(parents=True, exist_ok=True)
        app = create_app(config, bot=False, history=history)
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="khp-demo-receiver", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None
