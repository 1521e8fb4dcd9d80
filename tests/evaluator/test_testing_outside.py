"""The test kit for monitors kept in a rules repository of their own: plain ``pytest`` and ``khp test`` work there."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DISK = '''
from evaluator import Monitor

from ._paths import DISK_FREE


class DiskMonitor(Monitor):
    """Free disk space per host."""

    thresholds = {"rules_disk_free_percent": {"warning": 20, "critical": 10, "meaning": "free space, percent"}}

    def run(self):
        free = self.all(DISK_FREE)
        self.emit("Disk free", warning=free < self.w("rules_disk_free_percent"),
                  critical=free < self.c("rules_disk_free_percent"), description="Disk is filling up")
'''

TEST = """
from evaluator.testing import metric, monitor_from, run_monitor

DiskMonitor = monitor_from("../monitors/disk.py")


def test_low_free_space_is_critical():
    problems = run_monitor(DiskMonitor, [metric("host/os/disk.free_percent", 5, host="h1")])
    assert [(p.check, p.severity, p.host) for p in problems] == [
        ("Disk free", "critical", "h1"), ("Disk free", "warning", "h1")
    ]


def test_plenty_of_space_is_quiet():
    assert run_monitor(DiskMonitor, [metric("host/os/disk.free_percent", 50, host="h1")]) == []
"""

RULES = """
config: {monitors: [../monitors]}
tests:
  - name: disk free below 20 percent warns, below 10 is critical
    metrics:
      - {path: host/os/disk.free_percent, cluster: alpha, host: h1, values: "50 15 5"}
    evaluate:
      - at: 0m
        problems: []
      - at: 1m
        problems:
          - {check: Disk free, severity: warning, cluster: alpha, host: h1, value: 15, threshold: 20}
      - at: 2m
        problems:
          - {check: Disk free, severity: warning, cluster: alpha, host: h1, value: 5}
          - {check: Disk free, severity: critical, cluster: alpha, host: h1, value: 5, threshold: 10}
"""


@pytest.fixture
def rules_repository(tmp_path: Path) -> Path:
    """A rules repository outside this one: monitors/ with a private helper, tests/ without __init__.py."""
    repo = tmp_path / "ops-rules"
    (repo / "monitors").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "monitors" / "disk.py").write_text(textwrap.dedent(DISK))
    (repo / "monitors" / "_paths.py").write_text('DISK_FREE = "host/os/disk.free_percent"\n')
    (repo / "tests" / "test_disk.py").write_text(textwrap.dedent(TEST))
    (repo / "tests" / "disk.yml").write_text(textwrap.dedent(RULES))
    return repo


@pytest.mark.parametrize("where", [".", "tests", ".."])
def test_plain_pytest_runs_the_test_kit_from_anywhere(rules_repository: Path, where: str) -> None:
    pytest_command = Path(sys.executable).parent / "pytest"  # the console script, not python -m pytest
    done = subprocess.run(
        [str(pytest_command), "-q", "-p", "no:cacheprovider", str(rules_repository / "tests" / "test_disk.py")],
        cwd=(rules_repository / where).resolve(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_khp_test_runs_the_repositorys_rule_file_without_a_khp_yml(rules_repository: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "khp", "test", "tests/disk.yml"],
        cwd=rules_repository,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["tests/disk.yml: 1 test, 3 evaluations: ok", "3 evaluations, 0 failed"]
    lint = subprocess.run(
        [sys.executable, "-m", "khp", "lint", "monitors"],
        cwd=rules_repository,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (lint.returncode, lint.stdout) == (0, "ok: 1 monitor in 1 file\n")
