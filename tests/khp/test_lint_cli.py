"""``khp lint``: monitor files and the configuration checked for a rules repository's CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .helpers import khp

TYPO = """
from evaluator import Monitor


class TypoMonitor(Monitor):
    def run(self):
        self.emit("Slots", warning=self.max("druid/overlord/taskSlot.used.count") > self.w("druid_slot_used_percnt"))
"""


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KHP_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "khp", "lint", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_project_configuration_and_its_monitors_are_clean(project: Path) -> None:
    result = khp(project, "lint")
    assert (result.returncode, result.stdout) == (0, f"ok: 1 monitor in 1 file with {project / 'khp.yml'}\n")


def test_findings_are_file_and_line_and_exit_1(project: Path) -> None:
    (project / "monitors" / "typo.py").write_text(TYPO)
    result = khp(project, "lint")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{project / 'monitors' / 'typo.py'}:7: TypoMonitor (")
    assert "uses threshold 'druid_slot_used_percnt'" in lines[0]
    assert "did you mean 'druid_slot_used_percent'?" in lines[0]
    assert lines[-1] == f"1 problem in 2 monitors in 2 files with {project / 'khp.yml'}"


def test_a_configuration_that_does_not_load_is_a_finding(project: Path) -> None:
    (project / "clusters" / "beta.yml").write_text("thresholds: {nope_key: {warning: 1}}\n")
    result = khp(project, "lint", "monitors")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(f"{project / 'clusters' / 'beta.yml'}: thresholds.nope_key:")


def test_without_a_khp_yml_the_files_and_the_bundled_defaults_are_used(tmp_path: Path) -> None:
    (tmp_path / "monitors").mkdir()
    (tmp_path / "monitors" / "typo.py").write_text(TYPO.replace("percnt", "percent"))
    assert lint(tmp_path, "monitors").stdout == "ok: 1 monitor in 1 file\n"
    (tmp_path / "monitors" / "typo.py").write_text(TYPO)
    result = lint(tmp_path, "monitors/typo.py", "--no-run")
    assert result.returncode == 1
    assert "which (no khp.yml) does not define under 'thresholds'" in result.stdout


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = lint(tmp_path, "nowhere")
    assert (result.returncode, result.stderr) == (2, "khp lint: nowhere: no such file or directory\n")
    nothing = lint(tmp_path)
    assert nothing.returncode == 2
    assert "no monitor files to check" in nothing.stderr
