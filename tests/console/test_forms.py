"""Mute, unmute and maintenance forms: real silences in a real Alertmanager, actions in the history."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

from khp.configuration import Config, format_time
from khp.history import open_history
from tests.realparts.alertmanager import AlertmanagerServer

from .conftest import post
from .helpers import USER, csrf_of


def live(am: AlertmanagerServer) -> list[dict[str, Any]]:
    return [s for s in am.silences() if s["status"]["state"] == "active"]


def matchers(silence: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["value"] for m in silence["matchers"] if m["isEqual"] and not m["isRegex"]}


def actions(config: Config, cluster: str = "alpha") -> list[Any]:
    with open_history(config) as history:
        return history.events(time.time() - 3600, time.time() + 1, cluster, kinds=["action"])


def test_cri_silences_warnings_of_the_check(client: FlaskClient, am: AlertmanagerServer, config: Config) -> None:
    data = {"check": "Task slot usage", "level": "cri", "duration": "4h", "reason": "known slow ingestion"}
    response = post(client, "/clusters/alpha/mute", data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/clusters/alpha#problems")
    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Task slot usage", "cluster": "alpha", "severity": "warning"}
    assert silence["createdBy"] == USER and "known slow ingestion" in silence["comment"]
    html = client.get("/clusters/alpha").get_data(as_text=True)
    assert "critical only until" in html  # the flash
    assert '<span class="tag cri">CRI</span>' in html and "Unmute" in html
    (action,) = actions(config)
    assert action.actor == USER and action.channel == "console" and action.check == "Task slot usage"
    assert "cri 4h" in action.detail and silence["id"] in action.detail


def test_off_replaces_cri(client: FlaskClient, am: AlertmanagerServer) -> None:
    post(client, "/clusters/alpha/mute", {"check": "Task slot usage", "level": "cri", "duration": "1h"})
    post(client, "/clusters/alpha/mute", {"check": "Task slot usage", "level": "off", "duration": "1d"})
    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Task slot usage", "cluster": "alpha"}


def test_unmute_ends_the_mute(client: FlaskClient, am: AlertmanagerServer, config: Config) -> None:
    post(client, "/clusters/beta/mute", {"check": "Disk space low", "level": "off", "duration": "1h"}, "/clusters/beta")
    assert len(live(am)) == 1
    response = post(client, "/clusters/beta/unmute", {"check": "Disk space low"}, "/clusters/beta")
    assert response.status_code == 303 and live(am) == []
    assert "no longer muted" in client.get("/clusters/beta").get_data(as_text=True)
    assert [a.detail.split(" ")[0] for a in actions(config, "beta")] == ["mute", "unmute"]


def test_mute_on_a_cluster_known_only_from_its_problems(client: FlaskClient, am: AlertmanagerServer) -> None:
    response = post(client, "/clusters/delta/mute", {"check": "Task slot usage", "level": "cri", "duration": "1h"})
    assert response.status_code == 303
    assert matchers(live(am)[0])["cluster"] == "delta"


def test_mute_refusals_are_400_with_the_reason(client: FlaskClient, am: AlertmanagerServer, config: Config) -> None:
    cases = [
        ({"check": "No such check", "level": "cri", "duration": "1h"}, "unknown check"),
        ({"check": "Task slot usage", "level": "loud", "duration": "1h"}, "unknown mute level"),
        ({"check": "Task slot usage", "level": "cri", "duration": ""}, "needs an end"),
        ({"check": "Task slot usage", "level": "cri", "duration": "30d"}, "longer than"),
    ]
    for data, reason in cases:
        response = post(client, "/clusters/alpha/mute", data)
        assert response.status_code == 400
        assert reason in response.get_data(as_text=True)
    assert live(am) == [] and actions(config) == []


def test_maintenance_for_a_duration_then_end(client: FlaskClient, am: AlertmanagerServer, config: Config) -> None:
    response = post(client, "/clusters/alpha/maintenance", {"duration": "2h", "until": "", "reason": "HDFS upgrade"})
    assert response.status_code == 303
    (silence,) = live(am)
    assert matchers(silence) == {"cluster": "alpha"} and silence["createdBy"] == USER
    html = client.get("/clusters/alpha").get_data(as_text=True)
    assert "in maintenance until" in html and "HDFS upgrade" in html and 'id="end-maintenance"' in html
    response = post(client, "/clusters/alpha/maintenance/end", {})
    assert response.status_code == 303 and live(am) == []
    assert "Maintenance of alpha ended" in client.get("/clusters/alpha").get_data(as_text=True)
    details = [a.detail for a in actions(config)]
    assert details[0].startswith("maintenance 2h: HDFS upgrade") and details[1].startswith("end maintenance")


def test_maintenance_until_a_time(client: FlaskClient, am: AlertmanagerServer) -> None:
    end = time.time() + 5 * 3600
    until = format_time(end)[:16]  # what <input type="datetime-local"> sends: 2026-11-30T18:00, UTC
    assert post(client, "/clusters/gamma/maintenance", {"until": until, "reason": "rack move"}).status_code == 303
    (silence,) = live(am)
    assert silence["endsAt"].startswith(until)


def test_maintenance_needs_an_end_and_a_reason(client: FlaskClient, am: AlertmanagerServer) -> None:
    cases = [
        ({"duration": "", "until": "", "reason": "upgrade"}, "needs an end"),
        ({"duration": "1h", "until": "", "reason": " "}, "needs a reason"),
        ({"duration": "1h", "until": format_time(time.time() + 3600), "reason": "x"}, "not both"),
        ({"duration": "", "until": "2001-01-01T00:00", "reason": "x"}, "not in the future"),
        ({"duration": "7d", "until": "", "reason": "x"}, "longer than"),  # max_maintenance is 3d here
    ]
    for data, reason in cases:
        response = post(client, "/clusters/alpha/maintenance", data)
        assert response.status_code == 400, data
        assert reason in response.get_data(as_text=True)
    assert live(am) == []


def test_maintenance_form_keeps_what_was_typed_after_a_refusal(client: FlaskClient) -> None:
    response = post(client, "/clusters/alpha/maintenance", {"duration": "", "until": "", "reason": "disk swap"})
    assert 'value="disk swap"' in response.get_data(as_text=True)


def test_ending_maintenance_that_is_not_on(client: FlaskClient) -> None:
    response = post(client, "/clusters/beta/maintenance/end", {}, "/clusters/beta")
    assert response.status_code == 303
    assert "was not in maintenance" in client.get("/clusters/beta").get_data(as_text=True)


def test_alertmanager_down_is_502(client: FlaskClient, am: AlertmanagerServer) -> None:
    token_page = client.get("/clusters/alpha").get_data(as_text=True)
    am.stop()  # the fixture starts it again (on another port) for the next test
    data = {"duration": "1h", "reason": "x", "csrf_token": csrf_of(token_page)}
    response = client.post("/clusters/alpha/maintenance", data=data)
    assert response.status_code == 502
    assert "no Alertmanager answered" in response.get_data(as_text=True)


def rows_of(html: str, check: str) -> dict[str, str]:
    """The problem rows of ``check`` on a cluster page, by severity."""
    found = {}
    for chunk in html.split('<tr class="problem ')[1:]:
        row = chunk.split("</tr>")[0]
        if f'data-check="{check}"' in row:
            found[row.split(" ", 1)[0]] = row
    return found


def test_a_cri_mute_shows_on_the_warning_row_only_and_off_on_both(client: FlaskClient, am: AlertmanagerServer) -> None:
    post(client, "/clusters/alpha/mute", {"check": "Task slot usage", "level": "cri", "duration": "1h"})
    rows = rows_of(client.get("/clusters/alpha").get_data(as_text=True), "Task slot usage")
    assert set(rows) == {"warning", "critical"}
    assert '<span class="tag cri">CRI</span>' in rows["warning"] and "Unmute" in rows["warning"]
    assert "CRI" not in rows["critical"].split('class="mute"')[0]  # the critical alert still goes out
    post(client, "/clusters/alpha/mute", {"check": "Task slot usage", "level": "off", "duration": "1h"})
    rows = rows_of(client.get("/clusters/alpha").get_data(as_text=True), "Task slot usage")
    assert all('<span class="tag off">OFF</span>' in row for row in rows.values())


def test_adjust_lists_the_check_s_own_thresholds(client: FlaskClient) -> None:
    (row,) = rows_of(client.get("/clusters/beta").get_data(as_text=True), "Disk space low").values()
    adjust = row.split("adjust:")[1].split("</td>")[0]
    assert "host_disk_free_percent" in adjust  # HostMonitor's other keys are not this check's
    assert "host_cpu_percent" not in adjust and "host_memory_used_percent" not in adjust


def test_what_alertmanager_holds_back_shows_on_the_problem(client: FlaskClient, am: AlertmanagerServer) -> None:
    labels = {"alertname": "Disk space low", "monitor": "HostMonitor", "cluster": "beta", "host": "b-dn1"}
    am.post_alerts([{"labels": {**labels, "severity": "warning", "service": "druid"}}])
    post(client, "/clusters/beta/maintenance", {"duration": "1h", "reason": "disk swap"}, "/clusters/beta")
    (row,) = rows_of(client.get("/clusters/beta").get_data(as_text=True), "Disk space low").values()
    assert "held back: maintenance" in row
