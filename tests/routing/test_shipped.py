"""``configs/alertmanager.yml`` is exactly the rendering of the shipped ``khp.yml``: it can never go stale."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from khp.configuration import load_config
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AMTOOL

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "configs" / "alertmanager.yml"


def test_shipped_alertmanager_yml_is_the_rendering_of_khp_yml() -> None:
    expected = render_alertmanager_yaml(load_config(ROOT / "khp.yml"))
    assert SHIPPED.read_text(encoding="utf-8") == expected, (
        "configs/alertmanager.yml is stale; re-render it: khp alertmanager-config --output configs/alertmanager.yml"
    )


def test_every_shipped_cluster_with_rooms_has_its_receivers() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    for cluster in ("alpha", "beta", "gamma"):
        for level in ("warning", "critical"):
            assert f"- name: khp-{cluster}-{level}\n" in text


@pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed (Debian package 'prometheus-alertmanager')")
def test_amtool_accepts_the_shipped_file() -> None:
    assert AMTOOL is not None
    done = subprocess.run([AMTOOL, "check-config", str(SHIPPED)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
