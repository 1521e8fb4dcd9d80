"""Reading a rule test file: every mistake names the file and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from khp.configuration import ConfigError, parse_time
from khp.ruletests import DEFAULT_START, read_rule_file

GOOD = """
monitors: [KuduMonitor]
tests:
  - name: fires
    metrics:
      - {path: kudu/tserver/server.tablets_num_running, cluster: alpha, host: t1, values: "2500"}
    evaluate:
      - at: 0m
        problems:
          - {check: Too many tablets, severity: warning, cluster: alpha, host: t1, value: 2500}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_file_reads_with_its_defaults(tmp_path: Path) -> None:
    rule = read_rule_file(write(tmp_path, GOOD))
    assert (rule.start, rule.interval, rule.monitors) == (parse_time(DEFAULT_START), 60.0, ("KuduMonitor",))
    (test,) = rule.tests
    (evaluation,) = test.evaluations
    (expected,) = evaluation.problems
    assert (expected.check, expected.host, expected.value, expected.given) == (
        "Too many tablets",
        "t1",
        2500,
        frozenset({"check", "severity", "cluster", "host", "value"}),
    )
    assert rule.config.thresholds["kudu_tablets_num_running"].warning == 2000  # the bundled default


def test_an_unquoted_start_time_and_a_khp_yml_by_path(tmp_path: Path) -> None:
    (tmp_path / "khp.yml").write_text("thresholds: {kudu_tablets_num_running: {warning: 100}}\n")
    rule = read_rule_file(write(tmp_path, "config: khp.yml\nstart: 2026-01-01T00:00:00Z\ninterval: 30s\n" + GOOD))
    assert rule.start == parse_time("2026-01-01T00:00:00Z")
    assert rule.interval == 30
    assert rule.config.thresholds["kudu_tablets_num_running"].warning == 100


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        ("tests: []", "tests", "list at least one test"),
        ("monitor: [X]", "monitor", "unknown key"),
        ("start: yesterday", "start", "'yesterday' is not a time"),
        ("start: 1795946400000", "start", "epoch milliseconds"),
        ("interval: 0s", "interval", "must be longer than 0 seconds"),
        (
            "config: {thresholds: {kudu_tablets_num_running: {warn: 1}}}",
            "config.thresholds.kudu_tablets_num_running.warn",
            "unknown key",
        ),
        (
            "clusters: {beta: {thresholds: {kudu_tablets: null}}}",
            "clusters.beta.thresholds.kudu_tablets",
            "unknown threshold",
        ),
        ("config: 5", "config", "expected khp.yml's keys or the path of a khp.yml"),
    ],
)
def test_mistakes_at_the_top_name_the_key(tmp_path: Path, change: str, key: str, problem: str) -> None:
    text = GOOD.replace("tests:", change + "\ntests:", 1) if not change.startswith("tests:") else "tests: []\n"
    with pytest.raises(ConfigError) as caught:
        read_rule_file(write(tmp_path, text))
    assert (caught.value.file, caught.value.key) == (str(tmp_path / "rules.yml"), key)
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ('values: "2500"', 'values: "25OO"', "tests[0].metrics[0].values", "'25OO' is not a sample"),
        ('values: "2500"', "value: 1", "tests[0].metrics[0].value", "unknown key"),
        (
            "path: kudu/tserver/server.tablets_num_running",
            "path: kudu/tserver",
            "tests[0].metrics[0].path",
            "expected 'service/role/name'",
        ),
        ("at: 0m", "at: soon", "tests[0].evaluate[0].at", "is not a duration; write it like"),
        ("at: 0m", "when: 0m", "tests[0].evaluate[0].when", "unknown key"),
        (
            "severity: warning",
            "severity: warn",
            "tests[0].evaluate[0].problems[0].severity",
            "expected warning or critical",
        ),
        ("value: 2500", "value: high", "tests[0].evaluate[0].problems[0].value", "expected a number"),
        ("- name: fires", "- name: ''", "tests[0].name", "expected a non-empty string"),
    ],
)
def test_mistakes_in_a_test_name_the_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        read_rule_file(write(tmp_path, GOOD.replace(old, new)))
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_problems_must_be_listed_even_when_none_are_expected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        read_rule_file(write(tmp_path, GOOD.split("        problems:")[0] + "\n"))
    assert caught.value.key == "tests[0].evaluate[0].problems"
    assert "([] for none)" in caught.value.problem


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML at line 3, column 1"):
        read_rule_file(write(tmp_path, "tests:\n  - {name: x\n"))
