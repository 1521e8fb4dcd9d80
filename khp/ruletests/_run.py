"""Running a rule test file: its series into a fresh embedded store, the evaluator at each time, the diff."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluator import Evaluator, Monitor, Problem, load_monitors, select
from khp.configuration import Config, SourcesConfig, StoreConfig
from khp.records import LogRow, MetricRow, ProcessState
from khp.sources import ProcessQuery, ProcessSource, open_sources
from khp.store import Store

from ._file import Evaluation, Expected, RuleFile, RuleTest, UnreachableSeries, decimals


@dataclass(frozen=True)
class Outcome:
    """One evaluation of one test: what was expected, what came, and how they paired up."""

    test: str
    evaluation: Evaluation
    when: float
    matched: tuple[tuple[Expected, Problem], ...]
    missing: tuple[Expected, ...]
    unexpected: tuple[Problem, ...]
    tracebacks: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


def run_rule_file(rule: RuleFile) -> list[Outcome]:
    """Every evaluation of every test of ``rule``, each test on its own empty store."""
    outcomes = []
    for test in rule.tests:
        config = test.config or rule.config
        monitors = load_monitors(config)
        names = test.monitors if test.monitors is not None else rule.monitors
        chosen = select(monitors, names) if names is not None else monitors
        outcomes.extend(_run_test(rule, test, config, chosen))
    return outcomes


def _run_test(rule: RuleFile, test: RuleTest, config: Config, monitors: Sequence[type[Monitor]]) -> list[Outcome]:
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="khp-test-") as directory:
        path = Path(directory) / "khp.db"
        config = dataclasses.replace(config, store=StoreConfig(path=path), sources=SourcesConfig())
        store = Store(path)
        store.write_metrics(list(_metric_rows(rule, test)))
        store.write_logs(list(_log_rows(rule, test)))
        store.write_processes(list(_process_rows(rule, test)))
        sources = open_sources(config, store)
        if test.unreachable:
            processes = _Unanswered(sources.processes, rule, test.unreachable)
            sources = dataclasses.replace(sources, processes=processes)
        with Evaluator(config, sources, monitors) as evaluator:
            for evaluation in test.evaluations:
                when = rule.start + evaluation.at
                result = evaluator.cycle(at=when)
                found = [p for p in result.problems if evaluation.checks is None or p.check in evaluation.checks]
                tracebacks = tuple(r.traceback for r in result.record.monitors.values() if r.traceback)
                outcomes.append(_compare(test.name, evaluation, when, found, tracebacks))
        store.close()
    return outcomes


class _Unanswered:
    """The embedded process source, plus hosts whose Supervisor does not answer at some steps."""

    def __init__(self, inner: ProcessSource, rule: RuleFile, hosts: Sequence[UnreachableSeries]) -> None:
        self.inner = inner
        self.rule = rule
        self.hosts = hosts

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        return self.inner.states(query)

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return self.inner.seen(query)

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        step = round((query.end - self.rule.start) / self.rule.interval)
        return [
            (h.cluster, h.host, h.reason)
            for h in self.hosts
            if 0 <= step < len(h.steps) and h.steps[step] and (query.clusters is None or h.cluster in query.clusters)
        ]


def _metric_rows(rule: RuleFile, test: RuleTest) -> Iterator[MetricRow]:
    for series in test.metrics:
        service, role, name = series.path.split("/", 2)
        for step, value in enumerate(series.values):
            if value is not None:
                time = rule.start + step * rule.interval
                yield MetricRow(time, series.cluster, series.host, service, role, name, value)


def _log_rows(rule: RuleFile, test: RuleTest) -> Iterator[LogRow]:
    for series in test.logs:
        service, role = series.path.split("/", 1)
        for step, count in enumerate(series.counts):
            time = rule.start + step * rule.interval
            for _ in range(int(count or 0)):
                yield LogRow(time, series.cluster, series.host, service, role, series.level, series.message)


def _process_rows(rule: RuleFile, test: RuleTest) -> Iterator[ProcessState]:
    for series in test.processes:
        for step, state in enumerate(series.states):
            if state is not None:
                yield ProcessState(
                    time=rule.start + step * rule.interval,
                    cluster=series.cluster,
                    host=series.host,
                    name=series.name,
                    statename=state,
                    spawnerr=series.spawnerr,
                    description=series.description,
                )


def _compare(
    test: str, evaluation: Evaluation, when: float, found: Sequence[Problem], tracebacks: tuple[str, ...]
) -> Outcome:
    left = list(found)
    matched = []
    missing = []
    for expected in evaluation.problems:
        match = next((problem for problem in left if matches(expected, problem)), None)
        if match is None:
            missing.append(expected)
        else:
            left.remove(match)
            matched.append((expected, match))
    return Outcome(test, evaluation, when, tuple(matched), tuple(missing), tuple(left), tracebacks)


def matches(expected: Expected, problem: Problem) -> bool:
    """Whether ``problem`` is the one ``expected`` describes.

    Check, severity, cluster and host always count (left out: none); monitor, compare and
    description when given; value and threshold to the decimals they are written with.
    """
    if (expected.check, expected.severity, expected.cluster, expected.host) != (
        problem.check,
        problem.severity,
        problem.cluster,
        problem.host,
    ):
        return False
    given = expected.given
    if "monitor" in given and expected.monitor != problem.monitor:
        return False
    if "compare" in given and expected.compare != problem.compare:
        return False
    if "description" in given and expected.description != problem.description:
        return False
    if "value" in given and not _close(expected.value, problem.value):
        return False
    return not ("threshold" in given and not _close(expected.threshold, problem.threshold))


def _close(expected: float | None, actual: float | None) -> bool:
    """``actual`` rounds to ``expected`` at the decimals ``expected`` is written with (49.3 matches 49.3004)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if not math.isfinite(actual):
        return False
    return abs(actual - expected) <= 0.5 * 10.0 ** -decimals(expected) + 1e-9 * max(1.0, abs(expected))


def shown_value(value: float | None) -> float | int | None:
    """A value as a test file would write it to match: whole numbers bare, others to 6 decimals."""
    if value is None or not math.isfinite(value):
        return value
    rounded = round(float(value), 6)
    return int(rounded) if rounded.is_integer() else rounded


def problem_fields(problem: Problem) -> dict[str, object]:
    """``problem`` as an entry of ``problems:`` that matches it (the fields a rule author writes)."""
    fields: dict[str, object] = {"check": problem.check, "severity": problem.severity}
    if problem.cluster is not None:
        fields["cluster"] = problem.cluster
    if problem.host is not None:
        fields["host"] = problem.host
    if problem.value is not None:
        fields["value"] = shown_value(problem.value)
    if problem.compare is not None:
        fields["compare"] = problem.compare
        fields["threshold"] = shown_value(problem.threshold)
    if problem.cluster is None:  # the evaluator's own problems (Monitor failed ...): what happened
        fields["monitor"] = problem.monitor
        fields["description"] = problem.description
    return fields


def expected_fields(expected: Expected) -> dict[str, object]:
    """``expected`` with the fields its test file gives, in the usual order."""
    values = dataclasses.asdict(expected)
    order = ("check", "severity", "cluster", "host", "monitor", "value", "compare", "threshold", "description")
    return {key: values[key] for key in order if key in expected.given}
