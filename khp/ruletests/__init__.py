"""Rule tests: declarative test files for monitors, run by ``khp test`` (as ``promtool test rules``).

A file gives input series (metrics, log lines, process states) sample by sample, evaluation
times, and the problems expected at each; ``khp test`` loads the series into a fresh embedded
store per test, runs the monitors through the real evaluator at each time, and prints a diff
of expected and found problems when they differ::

    outcomes = run_rule_file(read_rule_file("tests/monitors/rules/kudu.yml"))
    assert all(outcome.passed for outcome in outcomes)
"""

from ._file import (
    DEFAULT_START,
    Evaluation,
    Expected,
    LogSeries,
    MetricSeries,
    ProcessSeries,
    RuleFile,
    RuleTest,
    read_rule_file,
)
from ._report import flow, report
from ._run import Outcome, matches, problem_fields, run_rule_file
from ._series import SeriesError, number_series, state_series

__all__ = [
    "DEFAULT_START",
    "Evaluation",
    "Expected",
    "LogSeries",
    "MetricSeries",
    "Outcome",
    "ProcessSeries",
    "RuleFile",
    "RuleTest",
    "SeriesError",
    "flow",
    "matches",
    "number_series",
    "problem_fields",
    "read_rule_file",
    "report",
    "run_rule_file",
    "state_series",
]
