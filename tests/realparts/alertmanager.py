"""A real Alertmanager for tests (Debian's ``prometheus-alertmanager``), and a webhook that records.

One server, with a webhook receiver it notifies::

    from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

    def test_notified(tmp_path):
        with WebhookRecorder() as hook, running_alertmanager(tmp_path, webhook_config(hook.url)) as am:
            am.post_alerts([{"labels": {"alertname": "X", "cluster": "c1", "severity": "warning"}}])
            (notification,) = hook.wait_for(1)
            assert notification["alerts"][0]["labels"]["cluster"] == "c1"

An HA pair in a gossip cluster: ``with running_pair(tmp_path, config) as (first, second): ...``;
``first.kill()`` ends one mid-test. Silences replicate between them by gossip.

``webhook_config`` writes group timings short enough for tests (group_wait 1s, group_interval 2s).
Tests are skipped, naming the Debian package, when the binary is not installed. A server that
does not become ready raises ``AlertmanagerError`` with the tail of its log
(``<directory>/alertmanager.log``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ._process import launch, terminate, wait_ready
from .prometheus import free_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
MISSING = (
    None
    if ALERTMANAGER
    else "Alertmanager is not installed"
    " (Debian package 'prometheus-alertmanager': apt-get install prometheus-alertmanager)"
)


class AlertmanagerError(RuntimeError):
    """Alertmanager failed to start or answered unexpectedly; the message holds its log or answer."""


def require_alertmanager() -> None:
    """Skip the calling test when Alertmanager is not installed."""
    if MISSING:
        pytest.skip(MISSING)


def webhook_config(
    url: str,
    group_by: Sequence[str] = ("alertname", "cluster"),
    group_wait: str = "1s",
    group_interval: str = "2s",
    repeat_interval: str = "1h",
    inhibit_warning_by_critical: bool = True,
    heartbeat: bool = False,
) -> str:
    """An ``alertmanager.yml`` sending every group to the webhook at ``url``, with short timings.

    khp's heartbeat alert goes nowhere unless ``heartbeat`` (then to the webhook too, like any alert).
    """
    config: dict[str, Any] = {
        "route": {
            "receiver": "hook",
            "group_by": list(group_by),
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [{"name": "hook", "webhook_configs": [{"url": url, "send_resolved": True}]}],
    }
    if not heartbeat:
        config["route"]["routes"] = [{"matchers": ['alertname="Heartbeat"', 'severity="none"'], "receiver": "nowhere"}]
        config["receivers"].append({"name": "nowhere"})
    if inhibit_warning_by_critical:
        config["inhibit_rules"] = [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "cluster", "host"],
            }
        ]
    return json.dumps(config, indent=2)  # JSON is YAML


class AlertmanagerServer:
    """One Alertmanager process on free loopback ports; ``start()`` returns once it is ready.

    ``peers`` are cluster addresses (``127.0.0.1:PORT``) of other servers to gossip with; with
    ``cluster=False`` (the default when there are no peers and ``cluster`` is not set) gossip is off.
    """

    def __init__(self, directory: Path, config: str, peers: Sequence[str] = (), cluster: bool | None = None) -> None:
        self.directory = Path(directory)
        self.config_path = self.directory / "alertmanager.yml"
        self.storage = self.directory / "data"
        self.log_path = self.directory / "alertmanager.log"
        self.config_text = config
        self.peers = list(peers)
        self.cluster = bool(peers) if cluster is None else cluster
        self.port = 0
        self.cluster_port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cluster_address(self) -> str:
        return f"127.0.0.1:{self.cluster_port}"

    def start(self, wait: float = 30.0) -> AlertmanagerServer:
        require_alertmanager()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        self.config_path.write_text(self.config_text, encoding="utf-8")
        for _attempt in range(3):  # another process may take a free port before Alertmanager binds it
            self.port = free_port()
            if self.cluster and not self.cluster_port:
                self.cluster_port = free_port()
            self._launch()
            if self._wait_ready(wait):
                return self
            log = self.log()
            self.stop()
            if "address already in use" not in log:
                break
            self.cluster_port = 0
        raise AlertmanagerError(
            f"Alertmanager did not become ready at {self.url} within {wait:g}s; log tail:\n"
            + "\n".join(self.log().splitlines()[-40:])
        )

    def relaunch(self, wait: float = 30.0) -> AlertmanagerServer:
        """Start it again after ``kill`` or ``stop``, on the same ports and storage: a restarted service."""
        self._launch()
        if not self._wait_ready(wait):
            raise AlertmanagerError(f"Alertmanager did not come back at {self.url}; log tail:\n{self.log()[-4000:]}")
        return self

    def _launch(self) -> None:
        assert ALERTMANAGER is not None
        command = [
            ALERTMANAGER,
            f"--config.file={self.config_path}",
            f"--storage.path={self.storage}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}",
            "--log.level=debug",
        ]
        if self.cluster:
            command += [
                f"--cluster.listen-address={self.cluster_address}",
                f"--cluster.advertise-address={self.cluster_address}",
                "--cluster.gossip-interval=50ms",
                "--cluster.pushpull-interval=2s",
                "--cluster.settle-timeout=2s",
                "--cluster.peer-timeout=1s",
                *(f"--cluster.peer={peer}" for peer in self.peers),
            ]
        else:
            command.append("--cluster.listen-address=")
        self._process = launch(command, self.log_path, self.directory)

    def _wait_ready(self, wait: float) -> bool:
        return wait_ready(self._process, f"{self.url}/-/ready", wait)

    def stop(self) -> None:
        """Terminate (SIGTERM) and wait."""
        process, self._process = self._process, None
        terminate(process)

    def kill(self) -> None:
        """End it at once (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- the API, for assertions --------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON or text) of an API call; errors are returned, not raised."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, _parse(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _parse(error.read())

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        status, answer = self.request("POST", "/api/v2/alerts", alerts)
        if status != 200:
            raise AlertmanagerError(f"POST /api/v2/alerts -> {status}: {answer}")

    def alerts(self, *, heartbeat: bool = False, **filters: str) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``; ``filters`` like ``cluster="c1"`` become ``filter=`` matchers.

        khp's heartbeat alert is left out unless ``heartbeat``.
        """
        query = urllib.parse.urlencode([("filter", f'{k}="{v}"') for k, v in filters.items()])
        status, answer = self.request("GET", "/api/v2/alerts" + (f"?{query}" if query else ""))
        if status != 200:
            raise AlertmanagerError(f"GET /api/v2/alerts -> {status}: {answer}")
        return [a for a in answer if heartbeat or a["labels"].get("alertname") != "Heartbeat"]

    def silences(self) -> list[dict[str, Any]]:
        status, answer = self.request("GET", "/api/v2/silences")
        if status != 200:
            raise AlertmanagerError(f"GET /api/v2/silences -> {status}: {answer}")
        return list(answer)

    def wait_until(self, predicate: Any, wait: float = 20.0, what: str = "condition") -> Any:
        """Poll ``predicate(self)`` until it returns something truthy; that value."""
        deadline = time.monotonic() + wait
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AlertmanagerError(f"{what} not reached within {wait:g}s at {self.url}")
            time.sleep(0.1)

    def __enter__(self) -> AlertmanagerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


@contextlib.contextmanager
def running_alertmanager(directory: Path, config: str, **options: Any) -> Iterator[AlertmanagerServer]:
    """Start an Alertmanager with ``config`` (YAML text) in ``directory``; stop it afterwards."""
    require_alertmanager()
    with AlertmanagerServer(directory, config, **options) as server:
        yield server


@contextlib.contextmanager
def running_pair(directory: Path, config: str) -> Iterator[tuple[AlertmanagerServer, AlertmanagerServer]]:
    """Two Alertmanagers in one gossip cluster (HA), both with ``config``; stopped afterwards."""
    require_alertmanager()
    first = AlertmanagerServer(directory / "am1", config, cluster=True)
    with first:
        second = AlertmanagerServer(directory / "am2", config, peers=[first.cluster_address])
        with second:
            first.wait_until(lambda am: _peers(am) >= 2, what="both peers in the cluster")
            yield first, second


def _peers(server: AlertmanagerServer) -> int:
    status, answer = server.request("GET", "/api/v2/status")
    if status != 200 or not isinstance(answer, dict):
        return 0
    return len((answer.get("cluster") or {}).get("peers") or [])


class WebhookRecorder:
    """A loopback HTTP server that records every webhook POST (JSON) and answers ``status``.

    ``status`` can be changed mid-test (e.g. 500 to make Alertmanager retry); ``headers`` of each
    request are kept in ``requests`` beside the bodies in ``notifications``.
    """

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.notifications: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self._lock = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder._lock:
                    recorder.requests.append((self.path, dict(self.headers.items()), body))
                    status = recorder.status
                    if 200 <= status < 300:
                        with contextlib.suppress(ValueError):
                            recorder.notifications.append(json.loads(body))
                    recorder._lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, wait: float = 30.0) -> list[dict[str, Any]]:
        """Block until ``count`` notifications arrived; all of them so far."""
        deadline = time.monotonic() + wait
        with self._lock:
            while len(self.notifications) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AlertmanagerError(f"{len(self.notifications)} of {count} notifications after {wait:g}s")
                self._lock.wait(left)
            return list(self.notifications)

    def __enter__(self) -> WebhookRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
