"""The whole alerting path, real, for the alert-truth tests: ``khp run`` (one or two), an Alertmanager
HA pair configured by ``khp alertmanager-config``'s renderer, the receiver under gunicorn and the
Kakao stand-in, which counts the messages.

Timings are short so that a test takes a minute, not an hour: the evaluator runs every second,
re-sends every 5 s, so ``endsAt`` is 20 s ahead (4 x max(interval, resend), as Prometheus). A feeder
thread writes every host's disk usage into the embedded store twice a second, as a data feed would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khp.configuration import load_config
from khp.history import open_history
from khp.records import MetricRow
from khp.routing import render_alertmanager_yaml
from khp.store import Store
from tests.kakao_receiver.test_app import TOKEN
from tests.kakao_receiver.test_gunicorn import Gunicorn, wait_until
from tests.realparts.alertmanager import AlertmanagerServer, running_pair
from tests.realparts.prometheus import free_port
from tests.realparts.relay import Relay
from tests.standins.kakao import KakaoStandIn

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {"alpha": ("a1", "a2", "a3", "a4"), "beta": ("b1", "b2", "b3", "b4")}
ROOMS = ("12345", "67890")  # the critical rooms; 12345 is the warning room too
VALID_FOR = 20.0

EVALUATION = "interval: 1s, window: 10s, pending: 0s, monitor_timeout: 10s, nodata_hold: 8s, stale_after: 25s"
FIRING = "[CRITICAL] alpha: Disk usage"  # and "[CRITICAL] beta: ..."
BLIND = "monitoring is blind"
RESTORED = "monitoring restored"


MONITOR = '''
from evaluator import Monitor


class DiskMonitor(Monitor):
    """Disk usage per host."""

    def run(self):
        used = self.all("host/os/disk.used_percent")
        self.emit("Disk usage", critical=used > self.c("disk_used_percent"), description="Data disk almost full")
'''


def khp_yml(
    directory: Path,
    receiver_port: int,
    kakao_url: str,
    alertmanagers: list[str],
    evaluation: str,
    webhook_port: int | None = None,
) -> Path:
    """The project's ``khp.yml``; Alertmanager posts to ``webhook_port`` (a relay) if given, else to
    the receiver's own port."""
    (directory / "monitors").mkdir(parents=True, exist_ok=True)
    (directory / "monitors" / "disks.py").write_text(MONITOR, encoding="utf-8")
    (directory / "clusters").mkdir(exist_ok=True)
    for cluster in HOSTS:
        (directory / "clusters" / f"{cluster}.yml").write_text("pending: 0s\n", encoding="utf-8")
    (directory / "receiver-token").write_text(TOKEN + "\n", encoding="utf-8")
    text = f"""
store: var/khp.db
monitors: [monitors]
evaluation: {{{evaluation}}}
alertmanager: {{urls: {json.dumps(alertmanagers)}, timeout: 5s, resend_interval: 5s, resolved_resend: 30s, retries: 1}}
heartbeat: {{group_interval: 1s, repeat_interval: 2s}}
exporter: {{listen: ""}}
links: {{source: "https://git.example/khp/blob/main/{{path}}#L{{line}}"}}
routing:
  receiver_url: http://127.0.0.1:{webhook_port or receiver_port}/alertmanager
  credentials_file: {directory / "receiver-token"}
  channels: {{warning: ["kakaowork:12345"], critical: ["kakaowork:12345", "kakaowork:67890"]}}
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receiver:
  language: en
  blind_after: 15s
  delivery: {{backoff: 0.2, max_backoff: 1s, lease: 6s, workers: 2}}
  channels:
    kakaowork: {{base_url: "{kakao_url}", timeout: 5}}
thresholds:
  disk_used_percent: {{warning: null, critical: 90}}
clusters_dir: clusters
"""
    path = directory / "khp.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def alerts_told(titles: list[str], title: str) -> int:
    """How many alerts the messages titled ``title`` told: ``title (4 alerts)`` counts four, ``title`` one."""
    counted = 0
    for each in titles:
        if each == title:
            counted += 1
        elif found := re.fullmatch(re.escape(title) + r" \((\d+) alerts\)", each):
            counted += int(found.group(1))
    return counted


class Feeder:
    """Writes every host's disk usage every half second; ``healthy`` hosts report 50 %, the others 97 %."""

    def __init__(self, store: Path) -> None:
        self.store = Store(store)
        self.healthy: set[str] = set()
        self.running = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.running.is_set():
                now = time.time()
                rows = [
                    MetricRow(
                        now, cluster, host, "host", "os", "disk.used_percent", 50.0 if host in self.healthy else 97.0
                    )
                    for cluster, hosts in HOSTS.items()
                    for host in hosts
                ]
                self.store.write_metrics(rows)
            self._stop.wait(0.5)

    def value(self, host: str) -> float:
        return 50.0 if host in self.healthy else 97.0

    def __enter__(self) -> Feeder:
        self.running.set()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


class KhpRun:
    """``khp run`` in ``project``, its output in ``<name>.out`` / ``<name>.err``; killable like a crash."""

    def __init__(self, project: Path, name: str = "khp-run") -> None:
        self.project = project
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def err(self) -> Path:
        return self.project / f"{self.name}.err"

    def start(self) -> KhpRun:
        env = dict(os.environ, KHP_CONFIG=str(self.project / "khp.yml"))
        with open(self.project / f"{self.name}.out", "ab") as out, open(self.err, "ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "khp", "run"], cwd=self.project, env=env, stdout=out, stderr=err
            )
        return self

    def cycles(self) -> int:
        """Cycles it has finished (each prints one ``alerts:`` line)."""
        return sum(1 for line in self.log().splitlines() if line.startswith("alerts: "))

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        try:
            return self.err.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_cycles(self, more: int, logs: Callable[[], str]) -> None:
        """Until it has run ``more`` cycles after now."""
        target = self.cycles() + more
        wait_until(lambda: self.cycles() >= target, f"{self.name} running {more} more cycles", wait=120, logs=logs)


class Stack:
    """The real parts, started together; ``messages`` are (room, title) in the order the stand-in got them."""

    def __init__(
        self,
        directory: Path,
        kakao: KakaoStandIn,
        alertmanagers: tuple[AlertmanagerServer, AlertmanagerServer],
        receiver: Gunicorn,
        project: Path,
        feeder: Feeder,
        links: Links | None = None,
    ) -> None:
        self.directory = directory
        self.kakao = kakao
        self.alertmanagers = alertmanagers
        self.receiver = receiver
        self.project = project
        self.feeder = feeder
        self.links = links
        self.evaluators: list[KhpRun] = []

    @property
    def config_path(self) -> Path:
        return self.project / "khp.yml"

    def evaluator(self, name: str = "khp-run") -> KhpRun:
        run = KhpRun(self.project, name).start()
        self.evaluators.append(run)
        return run

    def messages(self) -> list[tuple[str, str]]:
        return [(m["conversation_id"], m["blocks"][1]["text"]) for m in list(self.kakao.messages)]

    def titles(self, room: str, containing: str = "") -> list[str]:
        return [title for to, title in self.messages() if to == room and containing in title]

    def logs(self) -> str:
        parts = [f"== {run.name}\n{run.log()[-3000:]}" for run in self.evaluators]
        parts += [f"== receiver\n{self.receiver.log()[-3000:]}"]
        parts += [f"== {am.url}\n{am.log()[-2000:]}" for am in self.alertmanagers]
        return "\n".join(parts)

    def wait(self, predicate: Callable[[], Any], what: str, wait: float = 120.0) -> Any:
        return wait_until(predicate, what, wait=wait, logs=self.logs)

    def wait_titles(self, room: str, containing: str, count: int, wait: float = 120.0) -> None:
        self.wait(lambda: len(self.titles(room, containing)) >= count, f"{count} x {containing!r} in room {room}", wait)

    def wait_told(self, room: str, title: str, count: int, wait: float = 120.0) -> None:
        told = f"{count} alerts told {title!r} in room {room}"
        self.wait(lambda: alerts_told(self.titles(room), title) >= count, told, wait)

    def wait_truth(self, healed: set[str]) -> None:
        """Until every room has been told every host's disk as it is (``assert_told_truly``), a
        documented FIRING again included with the RESOLVED after it."""

        def settled() -> bool:
            pending = self._state("SELECT count(*) FROM deliveries WHERE state = 'pending'")
            return pending == 0 and told_truly(self.told(), healed)

        self.wait(settled, f"every room told the disks as they are (healed: {healed}), nothing pending")

    def held(self) -> int:
        return self._state("SELECT count(DISTINCT fingerprint) FROM held_resolutions")

    def heard(self) -> bool:
        return bool(self._state("SELECT last_beat IS NOT NULL FROM evaluator_watch"))

    def _state(self, sql: str) -> int:
        path = self.project / "var" / "khp-outbox.db"
        if not path.exists():
            return 0
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            try:
                return int(conn.execute(sql).fetchone()[0])
            except sqlite3.OperationalError:
                return 0

    def told(self) -> dict[tuple[str, str], list[str]]:
        """(room, host) -> the statuses of the Disk usage alert of that host, in the order the messages
        that went out to the room were accepted (from the receiver's outbox)."""
        sql = (
            "SELECT d.room, n.body FROM deliveries d JOIN notifications n ON n.id = d.notification"
            " WHERE d.state = 'sent' ORDER BY d.created, d.rowid"
        )
        with contextlib.closing(sqlite3.connect(self.project / "var" / "khp-outbox.db", timeout=30)) as conn:
            rows = conn.execute(sql).fetchall()
        found: dict[tuple[str, str], list[str]] = {}
        for room, body in rows:
            for alert in json.loads(body).get("alerts", []):
                if alert["labels"].get("alertname") == "Disk usage":
                    found.setdefault((room.partition(":")[2], alert["labels"]["host"]), []).append(alert["status"])
        return found

    def active(self) -> list[dict[str, Any]]:
        """The problem alerts the first Alertmanager holds active."""
        return self.alertmanagers[0].alerts()

    def stats(self) -> dict[str, Any]:
        config = load_config(self.config_path)
        with open_history(config, read_only=True) as history:
            events = history.events(0, time.time() + 3600)
        found: dict[str, int] = {}
        for event in events:
            found[event.kind] = found.get(event.kind, 0) + 1
        return found


@dataclass
class Links:
    """The network between the parts, through relays a test can cut (``truth_stack(relayed=True)``):
    khp (the evaluator's bridge and the receiver's lookout) to each Alertmanager, and the
    Alertmanagers to the receiver."""

    alertmanagers: list[Relay]
    receiver: Relay

    def all(self) -> list[Relay]:
        return [*self.alertmanagers, self.receiver]


def _receiver(
    project: Path,
    port: int,
    kakao: KakaoStandIn,
    pair: tuple[AlertmanagerServer, ...],
    evaluation: str,
    links: Links | None,
) -> Gunicorn:
    """The receiver under gunicorn, started; if the Alertmanagers took its port meanwhile, on another one
    (its relay, or both Alertmanagers, get the new address)."""
    urls = [relay.url for relay in links.alertmanagers] if links else [am.url for am in pair]
    webhook_port = links.receiver.port if links else None
    for _attempt in range(3):
        khp_yml(project, port, kakao.url, urls, evaluation, webhook_port)
        receiver = Gunicorn(project / "khp.yml", port, kakao.environ)
        try:
            return receiver.start()
        except RuntimeError as exc:
            if "Address already in use" not in str(exc):
                raise
        port = free_port()
        khp_yml(project, port, kakao.url, urls, evaluation, webhook_port)
        if links:
            links.receiver.target_port = port
            continue
        rendered = render_alertmanager_yaml(load_config(project / "khp.yml"))
        for am in pair:
            am.config_path.write_text(rendered, encoding="utf-8")
            status, answer = am.request("POST", "/-/reload")
            assert status == 200, answer
    raise RuntimeError(f"no free port for the receiver after 3 attempts (last {port})")


@contextlib.contextmanager
def truth_stack(tmp_path: Path, evaluation: str, relayed: bool = False) -> Iterator[Stack]:
    """Everything but the evaluators; ``stack.evaluator()`` starts ``khp run``. ``relayed``: the parts
    talk through ``stack.links``."""
    port = free_port()
    project = tmp_path / "khp"
    project.mkdir(parents=True)
    with contextlib.ExitStack() as cleanup, KakaoStandIn() as kakao:
        to_receiver = cleanup.enter_context(Relay(port)) if relayed else None
        webhook_port = to_receiver.port if to_receiver else None
        placeholder = khp_yml(project, port, kakao.url, ["http://127.0.0.1:9"], evaluation, webhook_port)
        rendered = render_alertmanager_yaml(load_config(placeholder))
        with running_pair(tmp_path / "am", rendered) as pair:
            links = None
            if to_receiver:
                links = Links([cleanup.enter_context(Relay(am.port)) for am in pair], to_receiver)
            receiver = _receiver(project, port, kakao, pair, evaluation, links)
            try:
                with Feeder(project / "var" / "khp.db") as feeder:
                    stack = Stack(tmp_path, kakao, pair, receiver, project, feeder, links)
                    try:
                        yield stack
                    finally:
                        for run in stack.evaluators:
                            run.stop(signal.SIGKILL)
            finally:
                receiver.stop()


HEALED = "[RESOLVED] alpha: Disk usage"  # a2's disk cleaned up, in the tests where it heals
FIRED = ["[CRITICAL] alpha: Disk usage (4 alerts)", "[CRITICAL] beta: Disk usage (4 alerts)"]


def told_in(messages: list[tuple[str, str]], room: str) -> list[str]:
    """The titles ``room`` got, in order, of ``Stack.messages()``."""
    return [title for to, title in messages if to == room]


def assert_blind_once_and_restored_once(titles: list[str]) -> None:
    assert [t.split(" since ")[0] for t in titles if BLIND in t] == ["[CRITICAL] monitoring is blind"]
    assert [t.split(" (")[0] for t in titles if RESTORED in t] == ["[RESTORED] monitoring restored"]


def assert_a2_healed(titles: list[str]) -> None:
    """A room's titles: each cluster's group FIRING once and a2's RESOLVED, nothing else of disks; a2
    FIRING again only with its RESOLVED again (the documented FIRING again)."""
    disk = [t for t in titles if "Disk usage" in t]
    again = disk.count("[CRITICAL] alpha: Disk usage")
    assert sorted(t for t in disk if t != "[CRITICAL] alpha: Disk usage") == sorted(
        [*FIRED] + [HEALED] * (again + 1)
    ), titles


def assert_told_truly(told: dict[tuple[str, str], list[str]], healed: set[str]) -> None:
    """Each room was told every host's disk FIRING, and RESOLVED only for the ``healed`` hosts: a host
    that never healed was told once; a healed one FIRING then RESOLVED, or that again (an Alertmanager
    that flushed before the resolution reached it: the documented FIRING again, docs/operations.md)."""
    for room in ROOMS:
        for host in (host for hosts in HOSTS.values() for host in hosts):
            statuses = told.get((room, host), [])
            if host not in healed:
                assert statuses == ["firing"], (room, host, statuses)
            else:
                pairs = len(statuses) // 2
                assert statuses and statuses == ["firing", "resolved"] * pairs, (room, host, statuses)


def told_truly(told: dict[tuple[str, str], list[str]], healed: set[str]) -> bool:
    try:
        assert_told_truly(told, healed)
    except AssertionError:
        return False
    return True


def firing_everywhere(stack: Stack) -> None:
    for room in ROOMS:
        stack.wait_titles(room, "[CRITICAL] alpha: Disk usage", 1)
        stack.wait_titles(room, "[CRITICAL] beta: Disk usage", 1)
    stack.wait(stack.heard, "the receiver hearing the evaluator's heartbeat")


def outage(stack: Stack, killed: float) -> None:
    """The evaluator gone: blind said in each room, every alert ended by Alertmanager and held, 3 x endsAt."""
    for room in ROOMS:
        stack.wait_titles(room, BLIND, 1)
    stack.wait(lambda: not stack.active(), "Alertmanager ending every alert on its own (endsAt passed)")
    stack.wait(lambda: stack.held() == 8, "the receiver holding Alertmanager's 8 resolutions")
    stack.wait(lambda: time.monotonic() - killed >= 3 * VALID_FOR, "an outage of three times endsAt")
