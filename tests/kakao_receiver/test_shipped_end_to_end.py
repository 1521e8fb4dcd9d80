"""What ships, end to end: the shipped configuration files, unchanged but for secrets and addresses
(``shipped.py``), from the evaluator through a real Alertmanager HA pair, rendered by
``khp alertmanager-config`` from those files, to the receiver under gunicorn and the Kakao stand-in.

A 6-cluster simulated fleet is planted in the embedded store (``khp simulate``); its last 30
minutes are evaluated minute by minute with the pipeline ``khp run`` uses (so problems last their
pending time), then ``khp run`` itself runs its cycles. Every message is counted: every group
Alertmanager notifies reaches each of its rooms, the stand-in refuses none, nothing is lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evaluator import Evaluator, discover_monitors
from khp._pipeline import Pipeline
from khp.configuration import load_config
from khp.routing import rooms_for_receiver
from khp.sources import open_sources
from khp.store import Store
from tests.realparts.alertmanager import AlertmanagerServer, require_alertmanager, running_pair
from tests.realparts.prometheus import free_port
from tests.standins.elasticsearch import ElasticsearchStandIn
from tests.standins.kakao import KakaoStandIn

from .shipped import ROOT, Addresses, rooms_in, shipped_project
from .test_gunicorn import Gunicorn, wait_until

pytestmark = pytest.mark.slow
KHP = [sys.executable, "-m", "khp"]


def khp(config: Path, *args: str, environ: dict[str, str]) -> str:
    done = subprocess.run(
        [*KHP, "--config", str(config), *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def notified_groups(am: AlertmanagerServer) -> set[tuple[str, str, str]]:
    """(receiver, alertname, cluster) of every alert Alertmanager holds active (not silenced or inhibited)."""
    _, alerts = am.request("GET", "/api/v2/alerts?active=true&silenced=false&inhibited=false")
    return {
        (receiver["name"], alert["labels"]["alertname"], alert["labels"].get("cluster", ""))
        for alert in alerts
        for receiver in alert["receivers"]
    }


def delivered(kakao: KakaoStandIn) -> list[tuple[str, str]]:
    """(room, text) of every message the stand-in took."""
    found = [(f"kakaowork:{m['conversation_id']}", " ".join(_texts(m["blocks"]))) for m in list(kakao.messages)]
    return found + [("kakaotalk:*", memo["template"]["text"]) for memo in list(kakao.memos)]


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b.get("text", "") for b in blocks if isinstance(b.get("text"), str)]


@pytest.mark.parametrize("name", ["deploy/khp.yml", "khp.yml"])
def test_the_shipped_files_deliver_every_message_and_lose_none(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_alertmanager()
    monkeypatch.setenv("ELASTIC_PASSWORD", "changeme")  # the one secret the evaluator's history reads
    receiver_port = free_port()
    es = ElasticsearchStandIn(version=8).start()
    with KakaoStandIn() as kakao:
        kakao.rotate_refresh_token = True
        addresses = Addresses(
            receiver=f"http://127.0.0.1:{receiver_port}/alertmanager",
            kakao=kakao.url,
            elasticsearch=es.url,
            exporter=f"127.0.0.1:{free_port()}",
        )
        project = shipped_project(name, tmp_path / "project", addresses)
        kakao.conversations |= rooms_in(project).get("kakaowork", set())
        environ = {**os.environ, **kakao.environ, "ELASTIC_PASSWORD": "changeme", "KHP_CONFIG": str(project)}
        am_config = khp(project, "alertmanager-config", environ=environ)  # Alertmanager's config, as shipped

        with running_pair(tmp_path / "am", am_config) as (am, peer):
            project = shipped_project(name, tmp_path / "project", replace(addresses, alertmanagers=(am.url, peer.url)))
            config = load_config(project)
            with Gunicorn(project, receiver_port, {**kakao.environ, "ELASTIC_PASSWORD": "changeme"}) as server:
                now = (time.time() // 60) * 60
                khp(project, "simulate", "--clusters", "6", "--fault-rate", "10", "--seed", "3",
                    "--minutes", "40", "--until", str(int(now)), environ=environ)  # fmt: skip
                store = Store(config.store.path)
                with (
                    Pipeline(config, lambda line: None) as pipeline,
                    Evaluator(config, open_sources(config, store), discover_monitors(config)) as evaluator,
                ):
                    for minute in range(30, 0, -1):  # the last 30 minutes, as khp run saw them
                        pipeline.after_cycle(evaluator.cycle(at=now - minute * 60))
                khp(project, "run", "--cycles", "2", environ=environ)  # and khp run itself, now

                expected = wait_until(lambda: notified_groups(am), "alerts in Alertmanager", logs=am.log)
                rooms = {(r, a, c): rooms_for_receiver(config, r) for r, a, c in expected}

                def arrived() -> bool:
                    got = delivered(kakao)
                    for (_, alertname, cluster), targets in rooms.items():
                        for room in targets:
                            where = room if room.startswith("kakaowork:") else "kakaotalk:*"
                            if not any(w == where and alertname[:40] in t and cluster in t for w, t in got):
                                return False
                    return True

                wait_until(arrived, "a message for every notified group in each of its rooms", wait=180,
                           logs=lambda: f"{am.log()}\n{server.log()}")  # fmt: skip
                wait_until(lambda: "pending" not in _states(server), "the outbox drained", wait=120)
                states = _states(server)

    es.stop()
    assert kakao.rejections == []
    sent = states.get("sent", 0)
    assert sent == len(kakao.messages) + len(kakao.memos)  # every row delivered once, none twice
    assert set(states) == {"sent"}  # nothing dead, given up or failed
    assert sent >= len({room for targets in rooms.values() for room in targets})
    print(f"{name}: {len(expected)} notified alert groups, {sent} messages delivered, 0 rejected, 0 lost")


def _states(server: Gunicorn) -> dict[str, int]:
    import requests

    answer = requests.get(f"{server.url}/healthz", timeout=30).json()
    return {state: count for state, count in answer["outbox"].items() if count}
