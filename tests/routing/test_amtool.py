"""The real ``amtool`` (Alertmanager 0.25) accepts the rendered config and routes each alert where it belongs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from khp.configuration import Config
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AMTOOL

from .fleet import fleet_config

pytestmark = pytest.mark.skipif(
    AMTOOL is None, reason="amtool is not installed (Debian package 'prometheus-alertmanager')"
)


def amtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL is not None
    return subprocess.run([AMTOOL, *arguments], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("routing") / "alertmanager.yml"
    path.write_text(render_alertmanager_yaml(fleet_config()), encoding="utf-8")
    return path


def test_check_config_accepts_it(rendered: Path) -> None:
    done = amtool("check-config", str(rendered))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    assert " - 9 receivers" in done.stdout  # with khp-heartbeat


def test_check_config_accepts_a_config_with_no_rooms_and_no_clusters(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager_yaml(Config()), encoding="utf-8")
    done = amtool("check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("labels", "receiver", "cluster_route"),
    [
        # a cluster with its own rooms: its receivers
        ({"cluster": "own", "severity": "warning"}, "khp-own-warning", "own"),
        ({"cluster": "own", "severity": "critical"}, "khp-own-critical", "own"),
        ({"cluster": "own"}, "khp-own-default", "own"),
        # a cluster without: the defaults
        ({"cluster": "plain", "severity": "warning"}, "khp-warning", None),
        ({"cluster": "plain", "severity": "critical"}, "khp-critical", None),
        ({"cluster": "unknown", "severity": "critical"}, "khp-critical", None),
        # a cluster with its own timings only: its route, the default rooms
        ({"cluster": "timed", "severity": "warning"}, "khp-warning", "timed"),
        ({"cluster": "timed", "severity": "critical"}, "khp-critical", "timed"),
        # a cluster with own critical rooms only
        ({"cluster": "half-x", "severity": "warning"}, "khp-warning", "half-x"),
        ({"cluster": "half-x", "severity": "critical"}, "khp-half-x-critical", "half-x"),
        # no cluster (a monitor that failed), no severity
        ({"alertname": "Source unavailable", "severity": "critical"}, "khp-critical", None),
        ({"alertname": "X"}, "khp-default", None),
    ],
)
def test_routes(rendered: Path, labels: dict[str, str], receiver: str, cluster_route: str | None) -> None:
    pairs = [f"{name}={value}" for name, value in {"alertname": "Disk full", **labels}.items()]
    done = amtool("config", "routes", "test", f"--config.file={rendered}", "--tree", *pairs)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == receiver, done.stdout
    assert (f'{{cluster="{cluster_route}"}}' in done.stdout) == (cluster_route is not None), done.stdout
    verified = amtool("config", "routes", "test", f"--config.file={rendered}", f"--verify.receivers={receiver}", *pairs)
    assert verified.returncode == 0, verified.stdout + verified.stderr
