"""The receiver under real gunicorn (2 worker processes, the shipped ``kakao_receiver.gunicorn_conf``)
sending to the Kakao stand-in over loopback.

Also the helpers of the crash and end-to-end tests: ``receiver_project`` writes a ``khp.yml``
and token file, ``Gunicorn`` runs ``gunicorn 'kakao_receiver.wsgi:app'`` on a free port and can
``kill9()`` its master and workers as a crash would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from kakao_receiver._outbox import Outbox
from tests.realparts.prometheus import free_port
from tests.standins.kakao import KakaoStandIn

from .samples import alert
from .test_app import TOKEN, body

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"

pytestmark = pytest.mark.slow


def receiver_project(
    directory: Path,
    kakao_url: str,
    *,
    port: int,
    delivery: Mapping[str, Any] | None = None,
    timeout: float = 5,
    extra: str = "",
) -> Path:
    """A ``khp.yml`` whose rooms are KakaoWork conversations of the stand-in at ``kakao_url``; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "receiver-token").write_text(TOKEN + "\n", encoding="utf-8")
    settings = {"backoff": 0.2, "max_backoff": "1s", "lease": "6s", "workers": 2}
    settings.update(delivery or {})
    text = f"""
store: var/khp.db
routing:
  receiver_url: http://127.0.0.1:{port}/alertmanager
  credentials_file: {directory / "receiver-token"}
  channels: {{warning: ["kakaowork:12345"], critical: ["kakaowork:12345", "kakaowork:67890"]}}
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receiver:
  language: en
  delivery: {json.dumps(settings)}
  channels:
    kakaowork: {{base_url: "{kakao_url}", timeout: {timeout}}}
{extra}"""
    path = directory / "khp.yml"
    path.write_text(text, encoding="utf-8")
    return path


class Gunicorn:
    """``gunicorn --workers N 'kakao_receiver.wsgi:app'`` with ``KHP_CONFIG=config`` on 127.0.0.1:``port``."""

    def __init__(self, config: Path, port: int, environ: Mapping[str, str], workers: int = 2) -> None:
        self.config = config
        self.port = port
        self.workers = workers
        self.log_path = config.parent / "gunicorn.log"
        self.environ = dict(os.environ, KHP_CONFIG=str(config), **environ)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60.0) -> Gunicorn:
        command = [
            str(GUNICORN),
            "--config=python:kakao_receiver.gunicorn_conf",
            f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--graceful-timeout=10",
            "--log-level=info",
            "--no-control-socket",  # gunicorn 27: else every master shares ~/.gunicorn/gunicorn.ctl
            "kakao_receiver.wsgi:app",
        ]
        with open(self.log_path, "ab") as log:
            log.write(f"\n$ {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.environ, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                return self
            time.sleep(0.05)
        self.kill9()
        raise RuntimeError(f"gunicorn did not answer /healthz within {wait:g}s:\n{self.log()[-4000:]}")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        """The master's, then its workers'."""
        return [self.process.pid, *self.worker_pids()] if self.process else []

    def post(self, payload: Any, token: str = TOKEN) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "Alertmanager/0.25.0"}
        return requests.post(f"{self.url}/alertmanager", json=payload, headers=headers, timeout=30)

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once: nothing gets to clean up."""
        if self.process is None:
            return
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """SIGTERM: gunicorn's graceful shutdown."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill9()
        self.process = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def wait_until(
    predicate: Callable[[], Any], what: str, wait: float = 60.0, logs: Callable[[], str] | None = None
) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail naming ``what`` (and the tail of ``logs()``)."""
    deadline = time.monotonic() + wait
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = "\n".join(logs().splitlines()[-30:]) if logs else ""
            raise AssertionError(f"{what}: not within {wait:g}s" + (f"; logs:\n{tail}" if tail else ""))
        time.sleep(0.05)


def notification(index: int, receiver: str = "khp-critical", severity: str = "critical") -> dict[str, Any]:
    """A distinct webhook body per ``index``."""
    alerts = [alert(check=f"Check {index}", host=f"a-dn{index}", severity=severity)]
    return body(
        receiver=receiver,
        groupKey=f'{{}}:{{alertname="Check {index}", cluster="alpha"}}',
        groupLabels={"alertname": f"Check {index}", "cluster": "alpha"},
        commonLabels={"alertname": f"Check {index}", "cluster": "alpha", "severity": severity},
        alerts=alerts,
    )


def sent_titles(kakao: KakaoStandIn) -> list[tuple[str, str]]:
    """(conversation, title) of every message the stand-in accepted."""
    return [(m["conversation_id"], m["blocks"][1]["text"]) for m in list(kakao.messages)]


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn() as server:
        yield server


def test_two_workers_accept_concurrently_and_each_message_arrives_once_per_room(
    tmp_path: Path, kakao: KakaoStandIn
) -> None:
    port = free_port()
    config = receiver_project(tmp_path, kakao.url, port=port)
    bodies = [notification(index) for index in range(30)]
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def post_all(offset: int) -> None:
        for payload in bodies[offset::3] + bodies[offset::3]:  # every body twice: Alertmanager retrying
            answer = server.post(payload)
            with lock:
                answers.append(answer)

    with Gunicorn(config, port, kakao.environ) as server:
        threads = [threading.Thread(target=post_all, args=(offset,)) for offset in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outbox = Outbox(tmp_path / "var" / "khp-outbox.db")
        wait_until(lambda: outbox.counts()["sent"] == 60, "60 messages sent")
        health = requests.get(f"{server.url}/healthz", timeout=5).json()

    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] * 30 + ["duplicate"] * 30
    expected = sorted((room, f"[CRITICAL] alpha: Check {i}") for i in range(30) for room in ("12345", "67890"))
    assert sorted(sent_titles(kakao)) == expected
    assert kakao.rejections == []
    assert health["status"] == "ok" and health["workers"] == 2 and health["outbox"]["pending"] == 0
    assert {row["state"] for row in outbox.rows()} == {"sent"}


def test_a_rate_limited_message_waits_for_retry_after_then_arrives_once(tmp_path: Path, kakao: KakaoStandIn) -> None:
    port = free_port()
    config = receiver_project(tmp_path, kakao.url, port=port)
    kakao.rate_limit("kakaowork", retry_after=1, times=1)
    kakao.fail_next("kakaowork", status=500, times=1)

    with Gunicorn(config, port, kakao.environ) as server:
        assert server.post(notification(1, receiver="khp-warning", severity="warning")).status_code == 200
        wait_until(lambda: kakao.messages, "the message after a 429 and a 500")
        outbox = Outbox(tmp_path / "var" / "khp-outbox.db")
        wait_until(lambda: outbox.counts()["sent"] == 1, "the row marked sent")

    assert sent_titles(kakao) == [("12345", "[WARNING] alpha: Check 1")]
    assert [r.status for r in kakao.requests_to("kakaowork")] == [429, 500, 200]
    (row,) = outbox.rows()
    assert row["attempts"] == 3
    assert "will retry" in server.log()


def test_refusals_over_http_are_4xx_with_one_log_line_and_no_token(tmp_path: Path, kakao: KakaoStandIn) -> None:
    port = free_port()
    config = receiver_project(tmp_path, kakao.url, port=port)

    with Gunicorn(config, port, kakao.environ) as server:
        wrong = server.post(notification(1), token="wrong-" + TOKEN)
        missing = requests.post(f"{server.url}/alertmanager", json=notification(1), timeout=10)
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        form = requests.post(f"{server.url}/alertmanager", data={"version": "4"}, headers=bearer, timeout=10)
        unknown = server.post(notification(1, receiver="kakao"))

    assert [a.status_code for a in (wrong, missing, form, unknown)] == [401, 401, 415, 422]
    assert "wrong bearer token" in wrong.json()["error"]
    log = server.log()
    rejected = [line for line in log.splitlines() if "rejected POST /alertmanager" in line]
    assert len(rejected) == 4
    assert TOKEN not in log
    assert kakao.messages == []
