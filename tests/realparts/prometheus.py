"""A real Prometheus for tests: on a free loopback port, with a temporary storage directory.

Data gets in by backfilling (``promtool tsdb create-blocks-from openmetrics``) before the start,
or by scraping loopback targets. Backfilled data must be older than about three hours, so plant
it a day in the past (``past_minute()``) and evaluate as of that time::

    from tests.realparts.prometheus import Point, past_minute, running_prometheus

    def test_latest(tmp_path):
        at = past_minute()
        points = [Point("khp_metric", {"cluster": "alpha", "host": "h1"}, 42.0, at - 60)]
        with running_prometheus(tmp_path, points) as prometheus:
            answer = prometheus.query("last_over_time(khp_metric[5m])", at)
            assert answer["data"]["result"][0]["value"][1] == "42"

One server for a whole test file, as a fixture::

    @pytest.fixture(scope="module")
    def prometheus(tmp_path_factory):
        with running_prometheus(tmp_path_factory.mktemp("prometheus"), POINTS) as server:
            yield server

Scraping: ``running_prometheus(tmp_path, scrape_targets=["127.0.0.1:8000"])`` (every second by
default), then ``server.wait_for("up == 1")``.

Tests calling these helpers are skipped, naming the Debian package, when ``prometheus`` or
``promtool`` is not installed. A server that does not become ready raises ``PrometheusError``
with the tail of its log; the log stays in ``<directory>/prometheus.log``.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ._process import launch, terminate, wait_ready

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
MISSING = (
    None
    if PROMETHEUS and PROMTOOL
    else "prometheus or promtool is not installed (Debian package 'prometheus': apt-get install prometheus)"
)


class PrometheusError(RuntimeError):
    """Prometheus or promtool failed; the message holds their output."""


def require_prometheus() -> None:
    """Skip the calling test when Prometheus is not installed."""
    if MISSING:
        pytest.skip(MISSING)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def past_minute(days: float = 1.0, now: float | None = None) -> float:
    """A whole minute ``days`` ago: a time old enough for backfilled data."""
    moment = (time.time() if now is None else now) - days * 86400
    return float(int(moment) // 60 * 60)


@dataclass(frozen=True)
class Point:
    """One sample to backfill: metric name, labels, value (NaN and infinities allowed), time in epoch seconds."""

    metric: str
    labels: Mapping[str, str] = field(default_factory=dict)
    value: float = 0.0
    time: float = 0.0


def openmetrics(points: Iterable[Point]) -> str:
    """``points`` as an OpenMetrics text file (ending in ``# EOF``) that promtool can backfill."""
    by_metric: dict[str, list[Point]] = {}
    for point in points:
        by_metric.setdefault(point.metric, []).append(point)
    lines = []
    for metric in sorted(by_metric):
        lines.append(f"# TYPE {metric} gauge")
        ordered = sorted(by_metric[metric], key=lambda p: (sorted(p.labels.items()), p.time))
        for point in ordered:
            labels = ",".join(f'{name}="{_escape(value)}"' for name, value in sorted(point.labels.items()))
            millis = round(point.time * 1000)
            lines.append(f"{metric}{{{labels}}} {_number(point.value)} {millis // 1000}.{millis % 1000:03d}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def backfill(points: Iterable[Point], storage: Path) -> None:
    """Write ``points`` as TSDB blocks into ``storage`` (a Prometheus ``--storage.tsdb.path``) with promtool."""
    require_prometheus()
    assert PROMTOOL is not None
    storage.mkdir(parents=True, exist_ok=True)
    source = storage.parent / f"{storage.name}-backfill.om"
    source.write_text(openmetrics(points), encoding="utf-8")
    done = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise PrometheusError(f"promtool could not backfill {source}:\n{done.stdout}\n{done.stderr}")


class PrometheusServer:
    """One Prometheus process: ``start()`` returns once it is ready, ``stop()`` ends it.

    ``directory`` holds the config file, the storage (``data/``) and the log. ``flags`` are
    extra command-line flags, e.g. ``["--query.max-samples=1"]``.
    """

    def __init__(
        self,
        directory: Path,
        scrape_targets: Sequence[str] = (),
        scrape_interval: str = "1s",
        rule_files: Sequence[Path] = (),
        flags: Sequence[str] = (),
        alertmanagers: Sequence[str] = (),
    ) -> None:
        self.directory = Path(directory)
        self.storage = self.directory / "data"
        self.config_path = self.directory / "prometheus.yml"
        self.log_path = self.directory / "prometheus.log"
        self.scrape_targets = list(scrape_targets)
        self.scrape_interval = scrape_interval
        self.rule_files = [Path(f) for f in rule_files]
        self.flags = list(flags)
        self.alertmanagers = list(alertmanagers)  # host:port that get its alerts (API v2)
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 30.0) -> PrometheusServer:
        require_prometheus()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        self.config_path.write_text(self._config(), encoding="utf-8")
        for _attempt in range(3):  # another process may take the free port before Prometheus binds it
            self.port = free_port()
            self._launch()
            if self._wait_ready(wait):
                return self
            log = self.log()
            self.stop()
            if "address already in use" not in log:
                break
        raise PrometheusError(
            f"Prometheus did not become ready at {self.url} within {wait:g}s; log tail:\n"
            + "\n".join(self.log().splitlines()[-40:])
        )

    def _config(self) -> str:
        config: dict[str, Any] = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.scrape_interval}
        }
        if self.scrape_targets:
            config["scrape_configs"] = [{"job_name": "targets", "static_configs": [{"targets": self.scrape_targets}]}]
        if self.rule_files:
            config["rule_files"] = [str(f) for f in self.rule_files]
        if self.alertmanagers:
            config["alerting"] = {
                "alertmanagers": [{"api_version": "v2", "static_configs": [{"targets": self.alertmanagers}]}]
            }
        return json.dumps(config, indent=2)  # JSON is YAML

    def _launch(self) -> None:
        assert PROMETHEUS is not None
        command = [
            PROMETHEUS,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.storage}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            *self.flags,
        ]
        self._process = launch(command, self.log_path, self.directory)

    def _wait_ready(self, wait: float) -> bool:
        return wait_ready(self._process, f"{self.url}/-/ready", wait)

    def stop(self) -> None:
        process, self._process = self._process, None
        terminate(process)

    def log(self) -> str:
        """What Prometheus has written so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def query(self, expression: str, at: float | None = None) -> dict[str, Any]:
        """The JSON answer of ``/api/v1/query`` (errors included, not raised)."""
        params = {"query": expression}
        if at is not None:
            params["time"] = f"{at:.3f}"
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=urllib.parse.urlencode(params).encode())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def wait_for(self, expression: str, wait: float = 30.0) -> list[dict[str, Any]]:
        """Poll ``expression`` until its answer is not empty (e.g. after a scrape); its result."""
        deadline = time.monotonic() + wait
        while True:
            result = self.query(expression).get("data", {}).get("result", [])
            if result or time.monotonic() > deadline:
                if not result:
                    raise PrometheusError(f"{expression} still empty after {wait:g}s at {self.url}")
                return list(result)
            time.sleep(0.1)

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_prometheus(directory: Path, points: Iterable[Point] = (), **options: Any) -> Iterator[PrometheusServer]:
    """Backfill ``points`` (if any) into a new server in ``directory``, start it, and stop it afterwards.

    ``options`` go to ``PrometheusServer`` (``scrape_targets``, ``rule_files``, ``flags``, ...).
    """
    require_prometheus()
    server = PrometheusServer(directory, **options)
    points = list(points)
    if points:
        backfill(points, server.storage)
    with server:
        yield server
