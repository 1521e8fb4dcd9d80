"""``promtool check metrics``: the exposition follows Prometheus' naming and format rules."""

from __future__ import annotations

import dataclasses
import subprocess

from prometheus_client import CollectorRegistry

from exporter import ExporterState, render
from tests.realparts.prometheus import PROMTOOL, require_prometheus

from .conftest import DISK, known_cycle


def promtool_check(text: bytes) -> subprocess.CompletedProcess[str]:
    require_prometheus()
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, "check", "metrics"], input=text.decode(), capture_output=True, text=True, timeout=60, check=False
    )


def test_the_empty_exposition_is_lint_clean(registry: CollectorRegistry) -> None:
    done = promtool_check(render(registry))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_full_exposition_is_lint_clean(state: ExporterState, registry: CollectorRegistry) -> None:
    many = [dataclasses.replace(DISK, host=f"a-dn{i}", value=90.0 + i) for i in range(50)]
    state.update(known_cycle(many), states={DISK.key: "firing"}, send_errors={"http://127.0.0.1:9094": 1})
    state.update(known_cycle(errors={"metrics": 1}))
    done = promtool_check(render(registry))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
