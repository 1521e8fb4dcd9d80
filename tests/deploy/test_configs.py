"""The files the stack runs with: deploy/khp.yml and its rendering, Prometheus' config and rules, the image."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from setuptools import find_packages
from setuptools.config.setupcfg import read_configuration

from khp.configuration import load_config
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AMTOOL
from tests.realparts.prometheus import PROMTOOL, require_prometheus

from .grafana import ROOT

DEPLOY = ROOT / "deploy"
PROMETHEUS = ROOT / "configs" / "prometheus"
# What deploy/khp.yml may set differently from the shipped khp.yml: where things are in compose.
DEPLOYMENT_KEYS = {"store", "monitors", "alertmanager", "exporter", "receiver", "history", "clusters_dir"}
DEPLOYMENT_ROUTING = {"receiver_url", "credentials_file"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    require_prometheus()
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_deploy_alertmanager_yml_is_the_rendering_of_deploy_khp_yml() -> None:
    rendered = render_alertmanager_yaml(load_config(DEPLOY / "khp.yml"))
    assert (DEPLOY / "alertmanager.yml").read_text(encoding="utf-8") == rendered, (
        "deploy/alertmanager.yml is stale: khp alertmanager-config --config deploy/khp.yml"
        " --output deploy/alertmanager.yml --check"
    )


def test_deploy_alertmanager_yml_passes_amtool() -> None:
    if AMTOOL is None:
        pytest.skip("amtool is not installed (Debian package 'prometheus-alertmanager')")
    done = subprocess.run(
        [AMTOOL, "check-config", str(DEPLOY / "alertmanager.yml")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_deploy_khp_yml_differs_from_khp_yml_only_in_where_things_are() -> None:
    shipped: dict[str, Any] = yaml.safe_load((ROOT / "khp.yml").read_text())
    deployed: dict[str, Any] = yaml.safe_load((DEPLOY / "khp.yml").read_text())
    assert set(shipped) - DEPLOYMENT_KEYS - {"routing"} == set(deployed) - DEPLOYMENT_KEYS - {"routing"}
    for key in set(shipped) - DEPLOYMENT_KEYS - {"routing"}:
        assert deployed[key] == shipped[key], f"deploy/khp.yml: {key} differs from khp.yml"
    for key in set(shipped["routing"]) | set(deployed["routing"]):
        if key not in DEPLOYMENT_ROUTING:
            assert deployed["routing"].get(key) == shipped["routing"].get(key), f"routing.{key} differs"
    assert load_config(DEPLOY / "khp.yml").clusters.keys() == load_config(ROOT / "khp.yml").clusters.keys()


def test_prometheus_config_passes_promtool() -> None:
    done = _promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout


EVALUATOR = {"job": "khp-evaluator", "instance": "evaluator:9464"}
WATCHDOG = {"service": "khp", "monitor": "prometheus", **EVALUATOR}
SEND_TO = "http://alertmanager-2:9093"


def _alert(alertname: str, at: str, severity: str = "", description: str = "", value: str = "", **labels: str) -> dict:
    """A promtool ``alert_rule_test``: no alert at ``at`` when ``severity`` is empty, else one.

    ``instance=""`` leaves the instance label out (an alert about every replica).
    """
    expected = []
    if severity:
        own = {name: value for name, value in {**WATCHDOG, **labels}.items() if value}
        expected = [
            {
                "exp_labels": {"severity": severity, **own},
                "exp_annotations": {"description": description, "value": value},
            }
        ]
    return {"eval_time": at, "alertname": alertname, "exp_alerts": expected}


def test_the_watchdog_alerts_fire_when_the_evaluator_stops(tmp_path: Path) -> None:
    unit = {
        "rule_files": [str(PROMETHEUS / "khp-rules.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'up{job="khp-evaluator", instance="evaluator:9464"}', "values": "1 1 0x10"},
                    {"series": 'up{job="khp-evaluator", instance="evaluator-2:9464"}', "values": "1x3 0x10"},
                    {
                        "series": 'khp_cycle_last_timestamp_seconds{job="khp-evaluator", instance="evaluator:9464"}',
                        "values": "0x20",
                    },
                    {
                        "series": "khp_alertmanager_send_errors_total"
                        f'{{job="khp-evaluator", instance="evaluator:9464", url="{SEND_TO}"}}',
                        "values": "0+1x30",
                    },
                ],
                "alert_rule_test": [
                    _alert("KhpEvaluatorDown", "8m"),  # one replica down from 2m: the other still works
                    _alert(
                        "KhpEvaluatorDown",
                        "10m",  # both down from 4m, for 5m
                        "critical",
                        "Prometheus cannot scrape any khp evaluator: no problem is being checked or alerted.",
                        "0",
                        instance="",
                    ),
                    _alert("KhpCyclesStalled", "4m"),
                    _alert(
                        "KhpCyclesStalled",
                        "11m",
                        "critical",
                        "The khp evaluator at evaluator:9464 answers but finished no cycle for 11m 0s.",
                        "660",
                    ),
                    _alert("KhpAlertmanagerSendErrors", "5m"),
                    _alert(
                        "KhpAlertmanagerSendErrors",
                        "25m",
                        "warning",
                        f"The khp evaluator keeps failing to send alerts to {SEND_TO}; its HA peer still gets them.",
                        "10",
                        url=SEND_TO,
                    ),
                ],
            }
        ],
    }
    tests = tmp_path / "khp-rules.test.yml"
    tests.write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _promtool("test", "rules", str(tests))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_python_slim_installing_the_package_as_a_non_root_khp() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    assert any("pip install /tmp/khp-src" in line for line in instructions)
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["khp"]' in instructions
    exposed = {int(port) for line in instructions if line.startswith("EXPOSE ") for port in line.split()[1:]}
    assert exposed == {9464, 8080}


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether docker would leave ``path`` (or a directory above it) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if pattern.startswith("**/"):
            matched = any(fnmatch.fnmatch(part, pattern[3:]) for part in parts)
        else:
            matched = any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
        if matched:
            ignored = not negate
    return ignored


def test_the_build_context_has_every_package_and_no_local_state_or_secrets() -> None:
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and line[0] != "#"
    ]
    packages = find_packages(str(ROOT), exclude=["tests", "tests.*", "bench", "bench.*"])
    needed = ["setup.cfg", "pyproject.toml", *(p.replace(".", "/") + "/__init__.py" for p in packages)]
    assert [path for path in needed if _ignored(path, patterns)] == []
    for path in (".venv/bin/python", "var/khp.db", ".git/HEAD", "deploy/khp.env", ".env", "tests/conftest.py"):
        assert _ignored(path, patterns), f".dockerignore lets {path} into the image"


def test_pip_install_dot_installs_every_package_the_services_import() -> None:
    configured = set(read_configuration(str(ROOT / "setup.cfg"))["options"]["packages"])
    present = set(find_packages(str(ROOT), exclude=["tests", "tests.*", "bench", "bench.*"]))
    assert present - configured == set(), "add them to [options.packages.find] include in setup.cfg"
