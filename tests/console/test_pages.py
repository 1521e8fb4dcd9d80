"""Every page through Flask's test client, on a real Alertmanager and a store with current problems."""

from __future__ import annotations

import re
import time
from pathlib import Path

from flask.testing import FlaskClient

from khp.configuration import Config
from khp.history import HistoryEvent, open_history, problem_key
from khp.silences import SilenceService
from tests.realparts.alertmanager import AlertmanagerServer

from .helpers import USER


def text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def row(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{re.escape(row_id)}".*?</tr>', html, re.DOTALL)
    assert match, f"no row {row_id}"
    return match.group(0)


def numbers(row_html: str) -> list[str]:
    return re.findall(r'<td class="n[^"]*">(\d*)</td>', row_html)


def test_fleet_lists_clusters_from_files_and_from_problems(client: FlaskClient) -> None:
    html = text(client, "/")
    for name in ("alpha", "beta", "gamma", "delta"):
        assert f'href="/clusters/{name}"' in html
    # firing critical, firing warning, pending critical, pending warning, mutes
    assert numbers(row(html, "cluster-alpha"))[:4] == ["0", "1", "1", "0"]
    assert numbers(row(html, "cluster-beta"))[:4] == ["0", "1", "0", "0"]
    assert numbers(row(html, "cluster-gamma"))[:4] == ["0", "0", "0", "0"]
    assert "no file" in row(html, "cluster-delta")


def test_fleet_shows_maintenance_with_its_end(client: FlaskClient, config: Config) -> None:
    silence = SilenceService(config).start_maintenance("beta", duration="2h", reason="upgrade", created_by="lee")
    html = text(client, "/")
    beta = row(html, "cluster-beta")
    assert "until" in beta and time.strftime("%Y-%m-%d %H:%M", time.gmtime(silence.ends_at)) in beta
    assert "until" not in row(html, "cluster-alpha")


def test_cluster_page_shows_problems_thresholds_rooms(client: FlaskClient) -> None:
    html = text(client, "/clusters/alpha")
    problems = html.split('id="problems"')[1].split('id="maintenance"')[0]
    assert problems.count('class="problem ') == 2
    assert problems.index("critical") < problems.index("firing")  # critical first
    assert "75 &gt; 70" in problems and "95 &gt; 90" in problems
    assert 'href="/source/evaluator/monitors/druid.py#L14"' in problems
    assert 'href="#threshold-druid_slot_used_percent"' in problems
    assert 'name="level" value="cri"' in problems and 'name="level" value="off"' in problems
    thresholds = row(html, "threshold-druid_slot_used_percent")
    assert "differs from the global default" in thresholds
    assert 'name="warning" size="7" value="70"' in thresholds
    assert "80 / 90" in thresholds  # the defaults
    same = row(html, "threshold-host_cpu_percent")
    assert "differs" not in same and 'value=""' in same
    rooms = html.split('id="rooms"')[1]
    assert "kakaowork:12345" in rooms and "kakaotalk:ops" in rooms and "set in the cluster file" in rooms


def test_rooms_fall_back_to_the_defaults(client: FlaskClient) -> None:
    rooms = text(client, "/clusters/gamma").split('id="rooms"')[1]
    assert "kakaowork:10001" in rooms and "kakaowork:10002" in rooms
    assert rooms.count("global default") == 2


def test_cluster_without_file_has_problems_but_no_threshold_forms(client: FlaskClient) -> None:
    html = text(client, "/clusters/delta")
    assert "no cluster file" in html
    assert 'action="/clusters/delta/thresholds/' not in html
    assert 'action="/clusters/delta/mute"' in html


def test_unknown_cluster_is_404(client: FlaskClient) -> None:
    assert "No cluster" in text(client, "/clusters/nowhere", 404)


def test_null_threshold_shows_off(client: FlaskClient) -> None:
    beta = row(text(client, "/clusters/beta"), "threshold-datanode_without_nodemanager")
    assert 'name="warning" size="7" value="off"' in beta and 'name="critical" size="7" value="off"' in beta


def test_source_page_serves_monitor_files_only(client: FlaskClient) -> None:
    html = text(client, "/source/evaluator/monitors/druid.py")
    assert 'id="L14"' in html and "Task slot usage" in html
    text(client, "/source/configuration/_load.py", 404)
    text(client, "/source/evaluator/monitors/../../khp.yml", 404)
    text(client, "/source/etc/passwd", 404)


def test_history_page_charts_and_shows_the_noise_ledger(client: FlaskClient, config: Config) -> None:
    now = time.time()
    labels = {"alertname": "Task slot usage", "monitor": "DruidMonitor", "cluster": "alpha", "severity": "warning"}
    noisy = {**labels, "alertname": "Disk space low", "cluster": "beta"}
    events = [
        HistoryEvent.for_labels(now - 7200, "detected", labels),
        HistoryEvent.for_labels(now - 6900, "fired", labels),
        HistoryEvent.for_labels(
            now - 6800, "notified", labels, channel="kakaowork", room="12345", detail="firing notification ab12"
        ),
        *(HistoryEvent.for_labels(now - 3600 + i, "detected", noisy) for i in range(0, 30, 10)),
        *(HistoryEvent.for_labels(now - 3595 + i, "healed", noisy) for i in range(0, 30, 10)),
    ]
    with open_history(config) as history:
        history.record(events)
    html = text(client, "/history?since=1d")
    assert "<svg" in html and 'class="notified"' in html
    ledger = html.split('id="ledger"')[1].split("</section>")[0]
    warning_room = ledger.split('class="room warning"')[1].split("</tr>")[0]
    assert ">1<" in warning_room and "25.00 %" in warning_room  # 1 of 4 problems reached the warning room
    assert 'data-reason="healed_while_pending"' in ledger and "75.00 %" in ledger
    assert 'id="notifications-sent">1<' in ledger
    by_check = html.split('id="ledger-check"')[1].split("</section>")[0]
    assert by_check.index("Task slot usage") < by_check.index("Disk space low")  # most notified first
    assert "Healed while pending" in by_check
    figures = html.split('id="figures"')[1].split("</table>")[0]
    assert "25.00 %" in figures
    only_alpha = text(client, "/history?since=1d&cluster=alpha").split('id="ledger-check"')[1]
    assert "Disk space low" not in only_alpha
    assert "not a duration" in text(client, "/history?since=soon", 400) or "is not a time" in text(
        client, "/history?since=soon", 400
    )


def test_statistics_api_gives_the_history_figures_as_json(client: FlaskClient, config: Config) -> None:
    now = time.time()
    labels = {"alertname": "Task slot usage", "monitor": "DruidMonitor", "cluster": "alpha", "severity": "warning"}
    with open_history(config) as history:
        history.record(
            [
                HistoryEvent.for_labels(now - 600, "detected", labels),
                HistoryEvent.for_labels(now - 300, "fired", labels),
                HistoryEvent.for_labels(now - 200, "notified", labels, channel="kakaowork", room="12345"),
                HistoryEvent.for_labels(now - 500, "detected", {**labels, "cluster": "beta"}),
            ]
        )
    figures = client.get("/api/stats?since=1d").get_json()
    assert figures["total"]["detected"] == 2 and figures["total"]["problems_notified"] == 1
    assert figures["by_severity"]["warning"]["share_notified"] == 0.5
    assert figures["ledger"]["problems_notified"] == {"warning": 1, "critical": 0, "any": 1}
    assert figures["ledger"]["notifications_sent"]["total"] == 1
    assert client.get("/api/stats?since=1d&cluster=beta").get_json()["total"]["problems_notified"] == 0
    refused = client.get("/api/stats?since=soon")
    assert refused.status_code == 400 and "write 'since' as a duration" in refused.get_json()["error"]


def test_history_page_without_events(client: FlaskClient) -> None:
    html = text(client, "/history")
    assert "<svg" in html and "No problem detected" in html


def test_healthz_needs_no_login(anonymous: FlaskClient) -> None:
    assert anonymous.get("/healthz").get_json()["status"] == "ok"


def test_pages_need_a_login(anonymous: FlaskClient) -> None:
    for path in ("/", "/clusters/alpha", "/history", "/source/evaluator/monitors/druid.py"):
        response = anonymous.get(path)
        assert response.status_code == 303 and "/login?next=" in response.headers["Location"]


def test_static_css_is_served(anonymous: FlaskClient) -> None:
    with anonymous.get("/static/console.css") as response:
        assert response.status_code == 200 and b"--crit" in response.data


def test_alertmanager_down_is_a_notice_not_an_error(tmp_path: Path, am: AlertmanagerServer) -> None:
    from khp.configuration import load_config
    from khp.console import create_app

    from .conftest import login
    from .helpers import ENVIRON, write_project

    path = write_project(tmp_path / "p", "http://127.0.0.1:9")
    client = create_app(load_config(path), environ=ENVIRON).test_client()
    login(client)
    html = text(client, "/clusters/alpha")
    assert "Silences unknown" in html and "Alertmanager did not answer" in html
    assert "Silences unknown" in text(client, "/")


def test_recent_actions_show_on_the_cluster_page(client: FlaskClient, config: Config) -> None:
    with open_history(config) as history:
        history.record(
            [HistoryEvent(time.time() - 60, "action", problem_key({"cluster": "alpha"}), cluster="alpha",
                          channel="kakaowork", actor="lee", detail="maintenance 2h")]
        )  # fmt: skip
    actions = text(client, "/clusters/alpha").split('id="actions"')[1]
    assert "lee" in actions and "maintenance 2h" in actions and USER not in actions
