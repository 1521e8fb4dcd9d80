"""Every dashboard query returns data from a real Prometheus scraping a real, running ``khp run``.

The evaluator runs the bundled monitors every second on a simulated fleet of three clusters with
many faults and sends its alerts to a real Alertmanager, where one cluster is in maintenance;
Prometheus scrapes it every second. Queries that may rightly find nothing (error rates, counts
of failures) are written to answer 0, so "no data" here is always a fault.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from khp.configuration import load_config
from khp.silences import SilenceService
from tests.khp.helpers import KHP, khp
from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder, running_alertmanager, webhook_config
from tests.realparts.prometheus import PrometheusServer, free_port, require_prometheus, running_prometheus

from .grafana import ROOT, Target, all_targets, format_value, load_dashboards, substitute, variables

RULES = ROOT / "configs" / "prometheus" / "khp-rules.yml"
SERVING = re.compile(r"serving metrics on http://(\S+)/metrics")
RATE_WINDOW = "10s"  # BUILTINS["__rate_interval"]: at a 1 s scrape interval it holds ten samples


@dataclass
class Stack:
    prometheus: PrometheusServer
    exporter: str  # host:port of the evaluator's /metrics


def _project(directory: Path, alertmanager: str) -> Path:
    """The shipped khp.yml's thresholds with the bundled monitors, a 1 s interval and a loopback exporter.

    Problems fire at once (pending 0s) so that Alertmanager holds them; a second Alertmanager URL
    where nothing listens makes sends fail and be counted.
    """
    config = yaml.safe_load((ROOT / "khp.yml").read_text(encoding="utf-8"))
    nowhere = free_port()
    config.update(
        store="var/khp.db",
        monitors=["bundled"],
        evaluation={"interval": "1s", "window": "10m", "pending": "0s", "monitor_timeout": "10s"},
        exporter={"listen": "127.0.0.1:0"},
        alertmanager={"urls": [alertmanager, f"http://127.0.0.1:{nowhere}"], "timeout": "1s", "retries": 0},
    )
    for key in ("clusters_dir", "routing"):
        config.pop(key, None)
    (directory / "khp.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return directory


def _wait_for_exporter(process: subprocess.Popen[bytes], log: Path, wait: float = 30.0) -> str:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        match = SERVING.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"khp run did not serve /metrics within {wait:g}s:\n{log.read_text()[-3000:]}")


def _maintenance_on_one_cluster(alertmanager: AlertmanagerServer, config: Path) -> None:
    """Once khp's alerts are in Alertmanager, put the first of their clusters in maintenance."""
    alerts = alertmanager.wait_until(lambda am: [a for a in am.alerts() if a["labels"].get("cluster")], what="alerts")
    cluster = sorted(a["labels"]["cluster"] for a in alerts)[0]
    SilenceService(load_config(config)).start_maintenance(cluster, duration="1h", reason="test", created_by="test")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_prometheus()
    with contextlib.ExitStack() as stop:
        hook = stop.enter_context(WebhookRecorder())
        am_dir = tmp_path_factory.mktemp("alertmanager")
        alertmanager = stop.enter_context(running_alertmanager(am_dir, webhook_config(hook.url)))
        yield from _stack(tmp_path_factory, alertmanager)


def _stack(tmp_path_factory: pytest.TempPathFactory, alertmanager: AlertmanagerServer) -> Iterator[Stack]:
    project = _project(tmp_path_factory.mktemp("khp"), alertmanager.url)
    # At 40 times the usual faults, 3 clusters lack a host-level fault at fewer than 1 in 1,000 moments.
    simulated = khp(project, "simulate", "--clusters", "3", "--fault-rate", "40")
    assert simulated.returncode == 0, simulated.stderr
    log = project / "run.log"
    env = dict(os.environ, KHP_CONFIG=str(project / "khp.yml"), KHP_HISTORY=str(project / "history"))
    with open(log, "wb") as output:
        process = subprocess.Popen([*KHP, "run"], cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        exporter = _wait_for_exporter(process, log)
        with running_prometheus(
            tmp_path_factory.mktemp("prometheus"), scrape_targets=[exporter], rule_files=[RULES]
        ) as prometheus:
            prometheus.wait_for("up == 1")
            _maintenance_on_one_cluster(alertmanager, project / "khp.yml")
            prometheus.wait_for('khp_problem_alertmanager_state{alertmanager_state="suppressed"}')
            # enough scrapes for every rate() window, and cycles between them
            prometheus.wait_for(f"count_over_time(khp_cycle_last_timestamp_seconds[{RATE_WINDOW}]) >= 6")
            prometheus.wait_for(f"increase(khp_cycle_duration_seconds_count[{RATE_WINDOW}]) >= 3")
            yield Stack(prometheus, exporter)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _get(stack: Stack, path: str, **params: str) -> Any:
    url = f"{stack.prometheus.url}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        answer = json.load(response)
    assert answer["status"] == "success", answer
    return answer["data"]


def _label_values(stack: Stack, selector: str, label: str) -> list[str]:
    """What Grafana's ``label_values(selector, label)`` lists (the label values API over the last hour)."""
    now = time.time()
    return sorted(
        _get(stack, f"/api/v1/label/{label}/values", **{"match[]": selector, "start": str(now - 3600), "end": str(now)})
    )


def _busiest_cluster(stack: Stack) -> str:
    """The cluster with the most host-level problems, so that every panel of its dashboard has something."""
    answer = stack.prometheus.query('sort_desc(count by (cluster) (khp_problem{host!=""}))')
    result = answer["data"]["result"]
    assert result, "the simulated fleet has no host-level problem: raise --fault-rate"
    return str(result[0]["metric"]["cluster"])


def _values_for(stack: Stack, uid: str, repeat: str | None) -> dict[str, str]:
    """Each variable of dashboard ``uid`` as Grafana would fill it in: the default "All", or one value."""
    (dashboard,) = (d for d in load_dashboards().values() if d["uid"] == uid)
    filled: dict[str, str] = {}
    for variable in variables(dashboard):
        listed = _label_values(stack, substitute(variable.selector, filled), variable.label)
        assert listed, f"{uid}: variable {variable.name} lists nothing"
        if variable.name == "cluster":
            busiest = _busiest_cluster(stack)
            assert busiest in listed
            listed = [busiest]
        if variable.name == repeat:  # a repeated panel gets one value per copy
            listed = listed[:1]
        filled[variable.name] = format_value(listed, variable.multi)
    return filled


@pytest.mark.parametrize("target", all_targets(), ids=lambda t: t.id)
def test_the_query_returns_data(stack: Stack, target: Target) -> None:
    expr = substitute(target.expr, _values_for(stack, target.dashboard, target.repeat))
    answer = stack.prometheus.query(expr)
    assert answer["status"] == "success", f"{expr}\n{answer}"
    assert answer["data"]["result"], f"no data for {expr}"


def test_the_current_problems_say_which_alerts_alertmanager_holds_back(stack: Stack) -> None:
    (target,) = (t for t in all_targets() if t.id == "khp-fleet/Current problems/A")
    answer = stack.prometheus.query(substitute(target.expr, _values_for(stack, target.dashboard, None)))
    shown = {
        (r["metric"].get("alertmanager_state", ""), r["metric"].get("reason", "")) for r in answer["data"]["result"]
    }
    assert {("suppressed", "maintenance"), ("active", "")} <= shown, shown


def test_the_alerting_rules_evaluate_without_errors(stack: Stack) -> None:
    names = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    deadline = time.monotonic() + 20
    while True:
        groups = _get(stack, "/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        if rules and all(rule.get("lastEvaluation", "").startswith("20") for rule in rules):
            break
        assert time.monotonic() < deadline, f"rules not evaluated yet: {rules}"
        time.sleep(0.2)
    assert {rule["name"] for rule in rules} == names
    assert {(rule["name"], rule["health"], rule.get("lastError", "")) for rule in rules} == {
        (name, "ok", "") for name in names
    }
