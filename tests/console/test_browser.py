"""The console in real headless Chromium (Selenium), served by real gunicorn (``khp console``), on a real
Alertmanager and a store whose ``alert_states`` the alert bridge's ``StateStore`` wrote.

Log in, open a cluster, set CRI on a problem, edit a threshold, start and end a maintenance; each
step is checked where it lands (Alertmanager's silences API, the cluster's YAML file, ``load_config``)
and leaves a screenshot in ``test-artifacts/console/``. Skipped when Chromium or chromedriver is
missing (Debian packages ``chromium chromium-driver``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from khp.configuration import load_config
from khp.history import HistoryEvent, open_history
from tests.realparts.alertmanager import AlertmanagerServer, running_alertmanager, webhook_config
from tests.realparts.prometheus import free_port

from .helpers import ENVIRON, PASSWORD, ROOT, USER, default_problems, put_problems, write_project
from .test_backtest import plant_slot_usage

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "test-artifacts" / "console"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1440,1000",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="Chromium or chromedriver is not installed (Debian: apt-get install chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


class Console:
    """``python -m khp._console --listen 127.0.0.1:PORT --workers 2`` (gunicorn's API), stopped by SIGTERM."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.port = free_port()
        self.log_path = config.parent / "console.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Console:
        pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, PYTHONPATH=pythonpath, **ENVIRON)
        command = [sys.executable, "-m", "khp._console", "--config", str(self.config)]
        command += ["--listen", f"127.0.0.1:{self.port}", "--workers", "2"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.config.parent, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"khp console exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"khp console did not answer within 60s:\n{self.log()}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def am(tmp_path: Path) -> Iterator[AlertmanagerServer]:
    with running_alertmanager(tmp_path / "am", webhook_config("http://127.0.0.1:9/unused")) as server:
        yield server


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    assert CHROMIUM and CHROMEDRIVER
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    """A full-page screenshot in test-artifacts/console/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1440, 800)
    height = driver.execute_script("window.scrollTo(0, 0); return document.body.scrollHeight")
    driver.set_window_size(1440, max(800, min(int(height) + 40, 6000)))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait(driver: Any) -> WebDriverWait:
    return WebDriverWait(driver, 30)


def flash(driver: Any) -> str:
    return str(wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".flash"))).text)


def submit(driver: Any, button: Any) -> str:
    """Click ``button``, wait for the next page to replace this one, and return its message."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    wait(driver).until(lambda _driver: replaced(page))
    return flash(driver)


def replaced(element: Any) -> bool:
    """Whether ``element``'s page is gone. Chromium reports an element of a page being replaced
    either as stale or, in the middle of the swap, as a node that "does not belong to the document"."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


def live_silences(am: AlertmanagerServer) -> list[dict[str, Any]]:
    return [s for s in am.silences() if s["status"]["state"] == "active"]


def matchers(silence: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["value"] for m in silence["matchers"]}


def test_operator_session_in_chromium(tmp_path: Path, am: AlertmanagerServer, browser: Any) -> None:
    config_path = write_project(tmp_path / "project", am.url)
    put_problems(config_path.parent / "var" / "khp.db", default_problems())
    config = load_config(config_path)
    now = time.time()
    with open_history(config) as history:  # some history, so the chart has bars
        for i in range(40):
            labels = {"alertname": ["Task slot usage", "Disk space low"][i % 2], "cluster": "alpha",
                      "monitor": "DruidMonitor", "severity": "warning", "host": f"h{i}"}  # fmt: skip
            at = now - 6 * 86400 + i * 13000
            events = [HistoryEvent.for_labels(at, "detected", labels)]
            if i % 4 == 0:
                events += [HistoryEvent.for_labels(at + 300, "fired", labels)]
                events += [HistoryEvent.for_labels(at + 330, "notified", labels, channel="kakaowork", room="1")]
            else:
                events += [HistoryEvent.for_labels(at + 120, "healed", labels)]
            history.record(events)

    plant_slot_usage(config, now)
    with Console(config_path) as console:
        driver = browser
        driver.get(f"{console.url}/clusters/alpha")
        wait(driver).until(ec.url_contains("/login"))
        driver.find_element(By.ID, "username").send_keys(USER)
        driver.find_element(By.ID, "password").send_keys("not the password")
        assert "Wrong user name or password" in submit(driver, driver.find_element(By.ID, "login"))
        shot(driver, "01-login-refused")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login").click()
        wait(driver).until(ec.url_to_be(f"{console.url}/clusters/alpha"))

        driver.get(console.url + "/")
        wait(driver).until(ec.presence_of_element_located((By.ID, "cluster-delta")))
        shot(driver, "02-fleet")
        driver.find_element(By.LINK_TEXT, "alpha").click()
        wait(driver).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "alpha"))
        shot(driver, "03-cluster")

        # CRI on the firing warning of "Task slot usage"
        row = driver.find_element(By.CSS_SELECTOR, 'tr.problem.warning[data-check="Task slot usage"]')
        Select(row.find_element(By.NAME, "duration")).select_by_visible_text("1 day")
        row.find_element(By.NAME, "reason").send_keys("slow ingestion, known")
        assert "critical only until" in submit(driver, row.find_element(By.CSS_SELECTOR, "button.cri"))
        (silence,) = live_silences(am)
        assert matchers(silence) == {"alertname": "Task slot usage", "cluster": "alpha", "severity": "warning"}
        assert silence["createdBy"] == USER and "slow ingestion, known" in silence["comment"]
        shot(driver, "04-cri-set")

        # a threshold: warning 70 -> 60, critical off
        warning = driver.find_element(By.CSS_SELECTOR, 'input[form="edit-druid_slot_used_percent"][name="warning"]')
        warning.clear()
        warning.send_keys("60")
        critical = driver.find_element(By.CSS_SELECTOR, 'input[form="edit-druid_slot_used_percent"][name="critical"]')
        critical.send_keys("off")
        assert "Saved threshold druid_slot_used_percent: warning 70 -> 60, critical default -> off" in submit(
            driver, driver.find_element(By.CSS_SELECTOR, "#edit-druid_slot_used_percent button")
        )
        text = Path(config.clusters["alpha"].file).read_text()
        assert yaml.safe_load(text)["thresholds"]["druid_slot_used_percent"] == {"warning": 60, "critical": None}
        assert "# ingestion has to keep headroom here" in text
        reloaded = load_config(config_path)
        assert reloaded.threshold("druid_slot_used_percent", "alpha", "warning") == 60
        assert reloaded.threshold("druid_slot_used_percent", "alpha", "critical") is None
        driver.get(f"{console.url}/clusters/alpha#thresholds")  # the other worker sees it too
        shot(driver, "05-threshold-saved")

        # a bad value is refused and the file stays as it was
        warning = driver.find_element(By.CSS_SELECTOR, 'input[form="edit-druid_slot_used_percent"][name="warning"]')
        warning.clear()
        warning.send_keys("lots")
        assert "is not a number" in submit(
            driver, driver.find_element(By.CSS_SELECTOR, "#edit-druid_slot_used_percent button")
        )
        assert Path(config.clusters["alpha"].file).read_text() == text
        shot(driver, "06-threshold-refused")

        # maintenance for 2 hours, then ended
        driver.get(f"{console.url}/clusters/alpha#maintenance")
        Select(driver.find_element(By.ID, "maintenance-duration")).select_by_visible_text("2 hours")
        driver.find_element(By.ID, "maintenance-reason").send_keys("HDFS upgrade")
        assert "alpha is in maintenance until" in submit(driver, driver.find_element(By.ID, "start-maintenance"))
        maintenance = [s for s in live_silences(am) if matchers(s) == {"cluster": "alpha"}]
        assert len(maintenance) == 1 and "HDFS upgrade" in maintenance[0]["comment"]
        shot(driver, "07-maintenance-started")
        driver.find_element(By.LINK_TEXT, "Fleet").click()
        wait(driver).until(ec.text_to_be_present_in_element((By.ID, "cluster-alpha"), "until"))
        shot(driver, "08-fleet-in-maintenance")
        driver.find_element(By.LINK_TEXT, "alpha").click()
        assert "Maintenance of alpha ended" in submit(
            driver, wait(driver).until(ec.element_to_be_clickable((By.ID, "end-maintenance")))
        )
        assert [s for s in live_silences(am) if matchers(s) == {"cluster": "alpha"}] == []
        state = {s["id"]: s["status"]["state"] for s in am.silences()}
        assert state[maintenance[0]["id"]] == "expired"
        shot(driver, "09-maintenance-ended")

        # a backtest of the Druid monitor with a candidate warning threshold
        Select(driver.find_element(By.ID, "backtest-monitor")).select_by_visible_text("DruidMonitor")
        since = driver.find_element(By.NAME, "since")
        since.clear()
        since.send_keys("3h")
        driver.find_element(By.ID, "backtest-overrides").send_keys("druid_slot_used_percent.warning=99")
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.ID, "run-backtest").click()
        wait(driver).until(lambda _driver: replaced(page))
        table = wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.backtest")))
        assert "Task slot usage" in table.text and "alpha:druid_slot_used_percent.warning=99" in driver.page_source
        shot(driver, "10-backtest")

        driver.find_element(By.LINK_TEXT, "History").click()
        wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
        shot(driver, "11-history")

    with open_history(config) as history:
        actions = history.events(now - 60, time.time() + 1, "alpha", kinds=["action"])
    assert [a.actor for a in actions] == [USER] * 4
    assert [a.detail.split(" ")[0] for a in actions] == ["mute", "threshold", "maintenance", "end"]
