"""Every bundled monitor has a rule test file in tests/monitors/rules, and ``khp test`` passes on all of them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from evaluator import BUNDLED_DIR
from khp.ruletests import read_rule_file, report, run_rule_file

RULES = Path(__file__).resolve().parent / "rules"
MODULES = sorted(file.stem for file in BUNDLED_DIR.glob("*.py") if not file.name.startswith("_"))


def emitted_checks(module: str) -> set[str]:
    """The check names a bundled module passes to ``self.emit`` as literals."""
    tree = ast.parse((BUNDLED_DIR / f"{module}.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "emit"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


@pytest.mark.parametrize("module", MODULES)
def test_every_bundled_monitor_has_a_rule_file_that_expects_each_of_its_checks(module: str) -> None:
    file = RULES / f"{module}.yml"
    assert file.is_file(), f"evaluator/monitors/{module}.py has no rule test file {file.relative_to(RULES.parents[2])}"
    rule = read_rule_file(file)
    expected = {problem.check for test in rule.tests for e in test.evaluations for problem in e.problems}
    assert emitted_checks(module) - expected == set(), "checks no test expects to fire"


@pytest.mark.parametrize("module", MODULES)
def test_the_rule_file_passes(module: str) -> None:
    outcomes = run_rule_file(read_rule_file(RULES / f"{module}.yml"))
    assert outcomes
    assert all(outcome.passed for outcome in outcomes), "\n".join(report(f"{module}.yml", outcomes))


def test_khp_test_runs_every_rule_file_of_the_bundled_monitors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "khp", "test", str(RULES)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for module in MODULES:
        assert f"{RULES / module}.yml: " in done.stdout
    assert done.stdout.splitlines()[-1].endswith(", 0 failed")
