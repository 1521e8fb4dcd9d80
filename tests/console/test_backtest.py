"""The backtest form on the cluster page: monitors replayed over the stored metrics, with a candidate."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from khp.configuration import Config
from khp.console._backtest import candidate_lines
from khp.records import MetricRow
from khp.store import Store

from .conftest import post


def plant_slot_usage(config: Config, now: float) -> None:
    """alpha's task slots: 50 % for three hours, 96 % from 90 to 30 minutes ago."""
    rows = []
    for minute in range(0, 200):
        at = now - minute * 60
        used = 96.0 if 30 <= minute < 90 else 50.0
        rows.append(MetricRow(at, "alpha", "a-ov1", "druid", "overlord", "taskSlot.used.count", used))
        rows.append(MetricRow(at, "alpha", "a-ov1", "druid", "overlord", "taskSlot.total.count", 100.0))
    store = Store(config.store.path)
    try:
        store.write_metrics(rows)
    finally:
        store.close()


def test_backtest_current_and_candidate(client: FlaskClient, config: Config) -> None:
    plant_slot_usage(config, time.time())
    assert 'id="run-backtest"' in client.get("/clusters/alpha").get_data(as_text=True)
    data = {
        "monitor": "DruidMonitor",
        "since": "3h",
        "step": "5m",
        "overrides": "druid_slot_used_percent.warning=99\n",
        "pending": "",
    }
    response = post(client, "/clusters/alpha/backtest", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert "Candidate:" in html and "alpha:druid_slot_used_percent.warning=99" in html
    row = html.split('<td>Task slot usage</td><td><span class="sev warning">')[1].split("</tr>")[0]
    cells = [cell.split("<")[0] for cell in row.split('<td class="n">')[1:]]
    assert len(cells) == 10  # detected, healed, fired, problems notified, notifications sent; twice
    assert cells[0] == "1" and cells[2] == "1"  # in force (70): detected once, fired
    assert cells[3] == "0"  # but never notified: its critical (96 % > 90) inhibits it
    assert cells[5] == "0"  # the candidate (99) detects nothing


def test_backtest_refusals(client: FlaskClient) -> None:
    cases = [
        ({"monitor": "NoSuchMonitor", "since": "1h", "step": "5m"}, "no monitor named"),
        ({"monitor": "DruidMonitor", "since": "30d", "step": "1m"}, "more than the console runs"),
        ({"monitor": "DruidMonitor", "since": "soon", "step": "5m"}, "is not a duration"),
        ({"monitor": "DruidMonitor", "since": "1h", "step": "5m", "overrides": "nope.warning=1"}, "Backtest not run"),
    ]
    for data, reason in cases:
        response = post(client, "/clusters/alpha/backtest", data)
        assert response.status_code == 400
        assert reason in response.get_data(as_text=True)


def test_candidate_lines_are_scoped_to_the_cluster() -> None:
    assert candidate_lines("alpha", "a.warning=1\n\n beta:b.critical=off \n") == [
        "alpha:a.warning=1",
        "beta:b.critical=off",
    ]
