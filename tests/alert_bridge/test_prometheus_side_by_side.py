"""The bridge sends as Prometheus sends: the same rule in a real Prometheus 2.42 and in the bridge,
each POSTing to a recording Alertmanager stand-in, give the same sends.

Prometheus evaluates every second (``evaluation_interval: 1s``, ``--rules.alert.resend-delay=1s``)
a rule with ``for: 3s`` over a gauge it scrapes from the stand-in; the bridge is driven through
the same kind of episode on aligned instants one second apart. Compared, relative to each
alert's own ``startsAt`` (when it fired) and ``endsAt`` (when it resolved): when the firing alert
is sent and re-sent, the ``endsAt`` each firing send carries, and when the resolution is sent
and re-sent.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alert_bridge import AlertBridge
from tests.realparts.prometheus import running_prometheus

from .conftest import T0, AlertSink, FakeClock, config, cycle, problem

pytestmark = pytest.mark.slow

FIRING_FOR = 12  # seconds the condition holds, after its pending time
AFTER = 9  # seconds watched after it stopped holding


def instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Recorder:
    """Alertmanager's ``POST /api/v2/alerts`` (recording each body with its arrival time) and a
    ``/metrics`` page with one gauge ``g`` for Prometheus to scrape."""

    def __init__(self) -> None:
        self.value = 0
        self.posts: list[tuple[float, list[dict[str, Any]]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.posts.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                page = f"# TYPE g gauge\ng {recorder.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Recorder:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def pattern(sends: list[tuple[float, dict[str, Any]]]) -> dict[str, list[float]]:
    """Each send's instant relative to the alert's firing (firing sends) or resolution (resolved
    sends), and how long after its send a firing alert says it stays valid."""
    fired = instant(sends[0][1]["startsAt"])
    firing = [(at, a) for at, a in sends if instant(a["endsAt"]) > at + 0.5]
    resolved = [(at, a) for at, a in sends if instant(a["endsAt"]) <= at + 0.5]
    ended = instant(resolved[0][1]["endsAt"])
    return {
        "firing": [round(at - fired) for at, _a in firing],
        "valid_for": sorted({round(instant(a["endsAt"]) - at) for at, a in firing}),
        "resolved": [round(at - ended) for at, _a in resolved],
        "starts": sorted({a["startsAt"] for _at, a in sends}),
    }


@pytest.fixture(scope="module")
def prometheus_sends(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[float, dict[str, Any]]]:
    directory = tmp_path_factory.mktemp("prometheus")
    rules = directory / "rules.yml"
    rules.write_text("groups:\n- name: g\n  interval: 1s\n  rules:\n  - {alert: G, expr: g > 0, for: 3s}\n")
    with (
        Recorder() as recorder,
        running_prometheus(
            directory,
            scrape_targets=[recorder.address],
            rule_files=[rules],
            alertmanagers=[recorder.address],
            flags=["--rules.alert.resend-delay=1s"],
        ) as server,
    ):
        server.wait_for("up == 1")
        recorder.value = 1
        deadline = time.monotonic() + 30
        while not recorder.posts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert recorder.posts, "Prometheus sent nothing within 30s"
        time.sleep(FIRING_FOR)
        recorder.value = 0
        time.sleep(AFTER + 2)
    # the evaluation instant of a send: Prometheus stamps a firing alert's endsAt at it + 4s, and
    # posts right after evaluating, so the arrival time rounds to it
    return [(at, alert) for at, body in recorder.posts for alert in body]


def bridge_sends(tmp_path: Path) -> list[tuple[float, dict[str, Any]]]:
    disk = problem(pending=3.0)
    sends: list[tuple[float, dict[str, Any]]] = []
    clock = FakeClock(T0)
    with AlertSink() as sink:
        settings = config(tmp_path / "khp.db", [sink.url], interval=1.0, resend=1.0, pending=3.0)
        with AlertBridge(settings, clock=clock, evaluation_stamps=True, wait=10.0) as bridge:
            for second in range(0, 3 + FIRING_FOR + AFTER + 2):
                at = T0 + second
                clock.now = at
                seen = len(sink.alerts)
                bridge.process(cycle(at, [disk] if second < 3 + FIRING_FOR else []))
                sends += [(at, alert) for alert in sink.alerts[seen:]]
    return sends


def test_the_bridge_sends_as_prometheus_does(
    prometheus_sends: list[tuple[float, dict[str, Any]]], tmp_path: Path
) -> None:
    theirs = pattern(prometheus_sends)
    ours = pattern(bridge_sends(tmp_path))
    assert len(theirs["starts"]) == len(ours["starts"]) == 1  # one startsAt throughout: when it fired
    assert ours["valid_for"] == theirs["valid_for"] == [4]  # endsAt = send + 4 x max(interval, resend)
    # the resolution at once, then every other instant (as long as both were watched)
    watched = min(theirs["resolved"][-1], ours["resolved"][-1])
    assert [s for s in ours["resolved"] if s <= watched] == [s for s in theirs["resolved"] if s <= watched]
    assert ours["resolved"][:3] == [0, 2, 4]
    # the firing sends: at once, then every other instant (resend delay 1s after a send at 1s intervals)
    span = min(theirs["firing"][-1], ours["firing"][-1])
    assert [s for s in ours["firing"] if s <= span] == [s for s in theirs["firing"] if s <= span]
    assert ours["firing"][:3] == [0, 2, 4]
