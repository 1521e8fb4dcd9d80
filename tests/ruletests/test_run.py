"""Running rule tests: how expected problems match found ones, the diff, and ``khp test``'s exit statuses."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evaluator import Problem
from khp.ruletests import Expected, matches, read_rule_file, run_rule_file

RULES = """
monitors: [KuduMonitor]
tests:
  - name: tablets
    metrics:
      - {path: kudu/tserver/server.tablets_num_running, cluster: alpha, host: t1, values: "1500 2500.4321"}
    evaluate:
      - at: 0m
        problems: []
      - at: 1m
        problems:
          - {check: Too many tablets, severity: warning, cluster: alpha, host: t1, value: 2500.43, threshold: 2000}
"""


def problem(**changes: object) -> Problem:
    fields: dict[str, object] = {
        "check": "Disk",
        "monitor": "DiskMonitor",
        "cluster": "alpha",
        "host": "h1",
        "severity": "warning",
        "value": 49.300411522633745,
        "compare": ">",
        "threshold": 45,
        "description": "full",
        "source": "x.py#L1",
    }
    fields.update(changes)
    return Problem(**fields)  # type: ignore[arg-type]


def expected(**fields: object) -> Expected:
    base: dict[str, object] = {"check": "Disk", "severity": "warning", "cluster": "alpha", "host": "h1"}
    base.update(fields)
    return Expected(**base, given=frozenset(base))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({}, True),
        ({"value": 49.3}, True),  # to the decimals written
        ({"value": 49.30}, True),
        ({"value": 49.3004}, True),
        ({"value": 49.4}, False),
        ({"value": 49}, True),
        ({"value": 50}, False),
        ({"threshold": 45}, True),
        ({"threshold": 40}, False),
        ({"compare": ">"}, True),
        ({"compare": "<"}, False),
        ({"monitor": "DiskMonitor"}, True),
        ({"monitor": "Other"}, False),
        ({"description": "full"}, True),
        ({"description": "ful"}, False),
        ({"host": None}, False),  # left out: a cluster-level problem, not any host
        ({"severity": "critical"}, False),
        ({"cluster": "beta"}, False),
    ],
)
def test_an_expected_problem_matches_on_what_it_gives(fields: dict[str, object], match: bool) -> None:
    assert matches(expected(**fields), problem()) is match


def test_a_value_that_is_not_there_matches_only_a_problem_without_one() -> None:
    assert matches(expected(value=None), problem(value=None))
    assert not matches(expected(value=None), problem())


def write(tmp_path: Path, text: str, name: str = "rules.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def khp_test(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "khp", "test", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_passing_file_runs_each_evaluation(tmp_path: Path) -> None:
    outcomes = run_rule_file(read_rule_file(write(tmp_path, RULES)))
    assert [(o.test, o.evaluation.at, o.passed) for o in outcomes] == [("tablets", 0.0, True), ("tablets", 60.0, True)]
    done = khp_test("rules.yml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "rules.yml: 1 test, 2 evaluations: ok\n2 evaluations, 0 failed\n")


def test_a_failure_prints_the_diff_of_expected_and_found_and_exits_1(tmp_path: Path) -> None:
    write(
        tmp_path,
        RULES.replace("value: 2500.43,", "value: 2600,").replace(
            "problems: []",
            "problems:\n" + " " * 10 + "- {check: Too many tablets, severity: critical, cluster: alpha, host: t1}",
        ),
    )
    done = khp_test("rules.yml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "rules.yml: 1 test, 2 evaluations: 2 failed",
        "  FAIL  tablets at 0m (2026-11-29T10:00:00Z)",
        "        --- expected  +++ found",
        "        - {check: Too many tablets, severity: critical, cluster: alpha, host: t1}",
        "  FAIL  tablets at 1m (2026-11-29T10:01:00Z)",
        "        --- expected  +++ found",
        "        - {check: Too many tablets, severity: warning, cluster: alpha, host: t1, value: 2600,"
        " threshold: 2000}",
        "        + {check: Too many tablets, severity: warning, cluster: alpha, host: t1, value: 2500.4321,"
        " compare: '>', threshold: 2000}",
        "2 evaluations, 2 failed",
    ]


def test_a_monitor_that_raises_shows_as_monitor_failed_and_verbose_adds_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "mons").mkdir()
    (tmp_path / "mons" / "bad.py").write_text(
        "from evaluator import Monitor\n\n\nclass BadMonitor(Monitor):\n"
        "    def run(self):\n        raise KeyError('x')\n"
    )
    write(
        tmp_path,
        """
        config: {monitors: [mons]}
        tests:
          - name: nothing
            evaluate:
              - {at: 0m, problems: []}
        """,
    )
    done = khp_test("-v", "rules.yml", cwd=tmp_path)
    assert done.returncode == 1
    assert (
        "        + {check: Monitor failed, severity: warning, monitor: BadMonitor, description: 'KeyError: ''x'' (at"
        " bad.py:6)'}" in done.stdout
    )
    assert 'bad.py", line 6, in run' in done.stdout


def test_files_that_cannot_run_exit_2_and_the_others_still_run(tmp_path: Path) -> None:
    write(tmp_path, RULES, "a_good.yml")
    write(tmp_path, RULES.replace("[KuduMonitor]", "[KuduMonitr]"), "b_unknown.yml")
    write(tmp_path, "tests: {}\n", "c_bad.yml")
    done = khp_test(".", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0] == "a_good.yml: 1 test, 2 evaluations: ok"
    assert lines[1].startswith("b_unknown.yml: cannot run it: no monitor named 'KuduMonitr'; known: DruidMonitor")
    assert lines[2] == "c_bad.yml: cannot run it: c_bad.yml: tests: expected a list, got dict"
    assert lines[3] == "2 evaluations, 0 failed; 2 files could not be run"
    missing = khp_test("nope.yml", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, "khp test: nope.yml: no such file or directory\n")


def test_khp_test_needs_no_khp_yml_and_ignores_a_broken_one(tmp_path: Path) -> None:
    write(tmp_path, RULES)
    (tmp_path / "khp.yml").write_text("this: [is not a valid khp.yml\n")
    assert khp_test("rules.yml", cwd=tmp_path).returncode == 0
