"""A real Alertmanager, configured by ``khp alertmanager-config``'s renderer, posting to the receiver
under gunicorn, which sends to the Kakao stand-in: each notification arrives once per room."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver._outbox import Outbox
from khp.configuration import format_time, load_config
from khp.history import open_history
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import require_alertmanager, running_alertmanager
from tests.realparts.prometheus import free_port
from tests.standins.kakao import KakaoStandIn

from .test_app import TOKEN
from .test_gunicorn import Gunicorn, receiver_project, sent_titles, wait_until

pytestmark = pytest.mark.slow


def disk_alert(ends: float | None = None) -> dict[str, Any]:
    labels = {
        "alertname": "Disk usage",
        "monitor": "HostMonitor",
        "cluster": "alpha",
        "host": "a-dn1",
        "service": "host",
        "severity": "critical",
    }
    annotations = {"description": "Data disk almost full", "value": "97.5", "threshold": "95", "compare": ">"}
    found: dict[str, Any] = {"labels": labels, "annotations": annotations}
    if ends is not None:
        found["endsAt"] = format_time(ends)
    return found


def test_an_alert_and_its_resolution_reach_both_critical_rooms_once(tmp_path: Path) -> None:
    require_alertmanager()
    port = free_port()
    with KakaoStandIn() as kakao:
        path = receiver_project(tmp_path / "khp", kakao.url, port=port)
        config = load_config(path)
        alertmanager_yml = render_alertmanager_yaml(config)
        assert "credentials_file" in alertmanager_yml
        outbox = Outbox(config.store.path.parent / "khp-outbox.db")
        with (
            Gunicorn(path, port, kakao.environ) as server,
            running_alertmanager(tmp_path / "am", alertmanager_yml) as am,
        ):
            both = lambda: f"{am.log()}\n{server.log()}"  # noqa: E731
            am.post_alerts([disk_alert()])
            wait_until(lambda: outbox.counts()["sent"] == 2, "the firing message sent to both rooms", logs=both)
            am.post_alerts([disk_alert(ends=time.time())])
            wait_until(lambda: outbox.counts()["sent"] == 4, "the resolved message sent to both rooms", logs=both)

    for room in ("12345", "67890"):  # per room in order; the two rooms' messages may interleave
        titles = [title for conversation, title in sent_titles(kakao) if conversation == room]
        assert titles == ["[CRITICAL] alpha: Disk usage", "[RESOLVED] alpha: Disk usage"]
    assert kakao.rejections == []
    accepted = [line for line in server.log().splitlines() if "accepted notification" in line]
    assert len(accepted) == 2 and all("receiver khp-critical" in line for line in accepted)
    assert TOKEN not in server.log()
    with open_history(config, read_only=True) as history:
        events = history.events(0, math.inf, kinds=["notified"])
    assert sorted((e.check, e.host, e.room) for e in events) == sorted(
        ("Disk usage", "a-dn1", room) for room in ("12345", "67890") for _ in range(2)
    )


def test_alertmanager_retries_until_the_receiver_is_up_and_the_message_arrives_once(tmp_path: Path) -> None:
    require_alertmanager()
    port = free_port()
    with KakaoStandIn() as kakao:
        path = receiver_project(tmp_path / "khp", kakao.url, port=port)
        config = load_config(path)
        outbox = Outbox(config.store.path.parent / "khp-outbox.db")
        with running_alertmanager(tmp_path / "am", render_alertmanager_yaml(config)) as am:
            am.post_alerts([disk_alert()])
            wait_until(
                lambda: "connection refused" in am.log(), "Alertmanager failing to reach the receiver", logs=am.log
            )
            with Gunicorn(path, port, kakao.environ) as server:
                both = lambda: f"{am.log()}\n{server.log()}"  # noqa: E731
                wait_until(lambda: outbox.counts()["sent"] == 2, "the message sent to both rooms", logs=both)

    assert sorted(sent_titles(kakao)) == [(room, "[CRITICAL] alpha: Disk usage") for room in ("12345", "67890")]


def test_alertmanager_with_the_wrong_token_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    require_alertmanager()
    port = free_port()
    with KakaoStandIn() as kakao:
        path = receiver_project(tmp_path / "khp", kakao.url, port=port)
        config = load_config(path)
        wrong = tmp_path / "wrong-token"
        wrong.write_text("not-the-receiver-token\n")
        alertmanager_yml = render_alertmanager_yaml(config).replace(config.routing.credentials_file, str(wrong))
        with (
            Gunicorn(path, port, kakao.environ) as server,
            running_alertmanager(tmp_path / "am", alertmanager_yml) as am,
        ):
            am.post_alerts([disk_alert()])
            # the receiver's own line, not any "401" in Alertmanager's log (a timestamp or a port can hold one)
            wait_until(lambda: "rejected POST /alertmanager" in server.log(), "the receiver refused", logs=server.log)
            wait_until(lambda: "status code 401" in am.log(), "Alertmanager told 401", logs=am.log)

    assert kakao.messages == []
    refused = [line for line in server.log().splitlines() if "rejected POST /alertmanager" in line]
    assert refused and all("401 wrong bearer token" in line and "Alertmanager/0.25.0" in line for line in refused)
    assert "not-the-receiver-token" not in server.log() and TOKEN not in server.log()
