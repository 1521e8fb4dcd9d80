"""The fleet view at 100 clusters in real headless Chromium, served by real gunicorn, on two real
Alertmanagers: every cluster listed, sorted by severity then age, filtered, the fleet-wide problem
list with what Alertmanager holds back, flapping shown, and a cluster's rooms and pending time
edited (written, rendered, checked and reloaded). Screenshots go to ``test-artifacts/console/``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from alert_bridge import Flap
from alert_bridge._flapping import FlapStore
from khp.configuration import load_config
from khp.routing import render_alertmanager_yaml
from khp.silences import SilenceService
from tests.realparts.alertmanager import AlertmanagerServer, webhook_config

from .helpers import HASH, PASSWORD, USER, problem, put_problems, write_project
from .test_browser import CHROMEDRIVER, CHROMIUM, Console, browser, replaced, shot, submit, wait  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="Chromium or chromedriver is not installed (Debian: apt-get install chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CLUSTERS = [f"c{n:03d}" for n in range(100)]


def hdfs(check: str, cluster: str, severity: str = "warning", host: str = "dn1") -> Any:
    return dataclasses.replace(
        problem(check, cluster, severity, host=host, monitor="HostMonitor", source="evaluator/monitors/host.py#L21"),
        service="hdfs",
    )


def plant(project: Path, first: AlertmanagerServer) -> None:
    """100 cluster files; problems on five of them, one flapping, and their alerts in Alertmanager."""
    clusters = project.parent / "clusters"
    for name in CLUSTERS:
        (clusters / f"{name}.yml").write_text(f"# {name}\nhosts:\n  {name}-dn1: [hdfs/datanode]\n")
    now = time.time()
    store = project.parent / "var" / "khp.db"
    entries = [
        (problem("Task slot usage", "c007", "critical"), "firing", now - 7200),
        (hdfs("Dead DataNodes", "c042", "critical"), "firing", now - 120),
        (hdfs("Disk space low", "c013"), "firing", now - 60),
        (problem("Task slot usage", "c077", "critical"), "pending", now - 30),
        (hdfs("Disk space low", "c055", host="c055-dn7"), "firing", now - 3000),
    ]
    for p, phase, since in entries:
        put_problems(store, [(p, phase)], now=since + 900)
    flapping = entries[4][0]
    flaps = FlapStore(store)
    try:
        flaps.save(
            {flapping.key: Flap(changes=(), since=now - 600, present=True, last_change=now - 60, held=flapping)}, []
        )
    finally:
        flaps.close()
    alerts = []
    for p, phase, _since in entries:
        if phase == "firing":
            labels = {"alertname": p.check, "monitor": p.monitor, "cluster": p.cluster, "severity": p.severity}
            labels.update({"host": p.host} if p.host else {})
            labels.update({"service": p.service} if p.service else {})
            alerts.append({"labels": labels, "annotations": {"description": p.description}})
    first.post_alerts(alerts)
    SilenceService(load_config(project)).start_maintenance("c013", duration="2h", reason="disk swap", created_by=USER)


def rows(driver: Any) -> list[str]:
    return [
        row.get_attribute("id").removeprefix("cluster-") for row in driver.find_elements(By.CSS_SELECTOR, "tr.cluster")
    ]


def apply(driver: Any) -> None:
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "apply-filter").click()
    wait(driver).until(lambda _driver: replaced(page))


def test_the_fleet_of_100_clusters_in_chromium(tmp_path: Path, browser: Any) -> None:  # noqa: F811
    first = AlertmanagerServer(tmp_path / "am1", webhook_config("http://127.0.0.1:9/unused"))
    second = AlertmanagerServer(tmp_path / "am2", webhook_config("http://127.0.0.1:9/unused"))
    with first:
        second.directory.mkdir(parents=True)
        second.config_path.symlink_to(first.config_path)  # both read the one alertmanager.yml
        with second:
            console = {"users": {USER: {"password_hash": HASH}}, "alertmanager_config": str(first.config_path)}
            project = write_project(tmp_path / "project", first.url, console)
            settings = yaml.safe_load(project.read_text())
            settings["alertmanager"]["urls"] = [first.url, second.url]
            project.write_text(yaml.safe_dump(settings, sort_keys=False))
            for name in ("alpha", "beta", "gamma"):
                (project.parent / "clusters" / f"{name}.yml").unlink()
            plant(project, first)
            first.config_path.write_text(render_alertmanager_yaml(load_config(project)))
            for server in (first, second):
                assert server.request("POST", "/-/reload")[0] == 200
            with Console(project) as served:
                drive(browser, served, project, first, second)


def drive(driver: Any, console: Console, project: Path, first: AlertmanagerServer, second: AlertmanagerServer) -> None:
    driver.get(f"{console.url}/")
    wait(driver).until(ec.url_contains("/login"))
    driver.find_element(By.ID, "username").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "cluster-c099")))

    # every cluster, the troubled first: firing critical (newest first), firing warning, pending critical
    listed = rows(driver)
    assert len(listed) == 100
    assert listed[:6] == ["c042", "c007", "c013", "c055", "c077", "c000"]
    assert "100 of 100 clusters" in driver.find_element(By.ID, "fleet-summary").text
    c013 = driver.find_element(By.ID, "cluster-c013")
    assert "until" in c013.find_element(By.CSS_SELECTOR, "td.maintenance").text
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#cluster-c013 td.held").text == "1")
    assert "1 flapping" in driver.find_element(By.ID, "cluster-c055").text
    shot(driver, "20-fleet-100-clusters")

    Select(driver.find_element(By.ID, "filter-severity")).select_by_value("critical")
    apply(driver)
    assert rows(driver) == ["c042", "c007", "c077"]
    Select(driver.find_element(By.ID, "filter-severity")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-service")).select_by_value("hdfs")
    apply(driver)
    assert rows(driver)[:3] == ["c042", "c013", "c055"] and len(rows(driver)) == 100  # every cluster runs HDFS
    driver.find_element(By.ID, "filter-text").send_keys("dn7")
    apply(driver)
    assert rows(driver) == ["c055"]
    assert "service=hdfs" in driver.current_url and "q=dn7" in driver.current_url
    shot(driver, "21-fleet-filtered")

    driver.find_element(By.LINK_TEXT, "Problems").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "problems-summary")))
    listed_problems = driver.find_elements(By.CSS_SELECTOR, "table.fleet-problems tr.problem")
    assert [(p.get_attribute("data-cluster"), p.get_attribute("data-check")) for p in listed_problems] == [
        ("c042", "Dead DataNodes"),
        ("c007", "Task slot usage"),
        ("c077", "Task slot usage"),
        ("c013", "Disk space low"),
        ("c055", "Disk space low"),
    ]
    held = {p.get_attribute("data-cluster"): p.find_element(By.CSS_SELECTOR, "td.held").text for p in listed_problems}
    assert held["c013"] == "maintenance" and held["c042"] == "sent to rooms"
    assert held["c077"] == "\u2013"  # pending: not in Alertmanager yet
    assert "flapping" in listed_problems[4].text
    shot(driver, "22-problems-across-the-fleet")

    # c005's warning room, then its pending time
    driver.get(f"{console.url}/clusters/c005#rooms")
    field = wait(driver).until(ec.presence_of_element_located((By.ID, "rooms-warning-input")))
    field.send_keys("kakaowork:555")
    message = submit(driver, driver.find_element(By.ID, "save-rooms"))
    assert "Saved rooms of c005: the defaults -> warning kakaowork:555" in message
    assert f"reloaded on {first.url}, {second.url}" in message
    for server in (first, second):
        status, answer = server.request("GET", "/api/v2/status")
        assert status == 200 and "khp-c005-warning" in answer["config"]["original"]
    assert yaml.safe_load((project.parent / "clusters" / "c005.yml").read_text())["channels"] == {
        "warning": ["kakaowork:555"]
    }
    assert "kakaowork:555" in driver.find_element(By.ID, "rooms-warning").text
    shot(driver, "23-rooms-saved")
    pending = driver.find_element(By.ID, "pending-input")
    pending.clear()
    pending.send_keys("7m")
    assert "Saved pending time of c005: the default -> 7m" in submit(driver, driver.find_element(By.ID, "save-pending"))
    assert driver.find_element(By.ID, "pending-now").text == "7m"
    assert load_config(project).clusters["c005"].pending == 420.0
    shot(driver, "24-pending-saved")
