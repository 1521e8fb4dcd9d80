"""A real Alertmanager 0.25 runs the rendered config: delivers to the khp receiver's webhook, inhibits warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from khp.configuration import RouteTimings
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder, running_alertmanager

from .fleet import fleet_config

TOKEN = "s3cret-token"
SHORT = RouteTimings(group_wait=1.0, group_interval=2.0, repeat_interval=3600.0)


@pytest.fixture
def hook() -> Iterator[WebhookRecorder]:
    with WebhookRecorder() as recorder:
        yield recorder


@pytest.fixture
def alertmanager(tmp_path: Path, hook: WebhookRecorder) -> Iterator[AlertmanagerServer]:
    token = tmp_path / "receiver-token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    config = fleet_config(
        receiver_url=hook.url, credentials_file=str(token), timings=SHORT, own_timings=RouteTimings(group_wait=1.0)
    )
    with running_alertmanager(tmp_path / "am", render_alertmanager_yaml(config)) as server:
        yield server


def alert(cluster: str, severity: str, host: str = "h1", name: str = "Disk full") -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "cluster": cluster, "host": host, "severity": severity},
        "annotations": {"description": "disk above threshold"},
    }


def by_receiver(hook: WebhookRecorder, count: int) -> dict[str, dict[str, Any]]:
    return {notification["receiver"]: notification for notification in hook.wait_for(count)}


def test_alerts_reach_the_khp_receiver_named_for_their_rooms_with_the_token(
    alertmanager: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    alertmanager.post_alerts([alert("own", "critical"), alert("plain", "warning", name="Slow disk")])
    notifications = by_receiver(hook, 2)
    assert sorted(notifications) == ["khp-own-critical", "khp-warning"]
    assert notifications["khp-own-critical"]["alerts"][0]["labels"]["cluster"] == "own"
    assert notifications["khp-warning"]["alerts"][0]["labels"]["alertname"] == "Slow disk"
    for path, headers, _body in hook.requests:
        assert path == "/hook"
        assert headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_critical_inhibits_the_warning_with_equal_alertname_cluster_host(
    alertmanager: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    alertmanager.post_alerts([alert("own", "critical", host="h1")])
    (critical,) = hook.wait_for(1)
    assert critical["receiver"] == "khp-own-critical"

    # Both warnings fall into one group, so the one notification for it shows which were held back.
    alertmanager.post_alerts([alert("own", "warning", host="h1"), alert("own", "warning", host="h2")])
    notifications = by_receiver(hook, 2)
    warned = notifications["khp-own-warning"]["alerts"]
    assert [a["labels"]["host"] for a in warned] == ["h2"]

    def inhibited(am: AlertmanagerServer) -> list[dict[str, Any]]:
        return [
            a
            for a in am.alerts(cluster="own", severity="warning", host="h1")
            if a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"]
        ]

    alertmanager.wait_until(inhibited, what="the h1 warning inhibited")
