"""``self.emit``: filtered vectors become problems, with levels, fields, source links and pending times."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluator import DslError, Monitor, Problem
from evaluator.testing import ClusterSetup, metric, process, run_monitor
from khp.configuration import Config, EvaluationConfig, LinksConfig

from .helpers import Probe

DISK = "hdfs/datanode/disk.used_percent"
LIMITS = {"disk_used_percent": {"warning": 80, "critical": 90}}
HERE = Path(__file__).resolve()


def line_of(text: str) -> int:
    """The line of this file that holds ``text`` (once)."""
    lines = [n for n, line in enumerate(HERE.read_text().splitlines(), start=1) if line.endswith(text)]
    assert len(lines) == 1, lines
    return lines[0]


class DiskMonitor(Monitor):
    """Data disks filling up."""

    def run(self) -> None:
        used = self.all(DISK)
        self.emit(  # the emit line
            "Disk almost full",
            warning=used > self.w("disk_used_percent"),
            critical=used > self.c("disk_used_percent"),
            description="Data disk above threshold",
        )


def test_both_levels_are_emitted_when_both_hold() -> None:
    rows = [metric(DISK, 95, host="h1"), metric(DISK, 85, host="h2"), metric(DISK, 50, host="h3")]
    problems = run_monitor(DiskMonitor, rows, thresholds=LIMITS)
    assert [(p.host, p.severity, p.threshold) for p in problems] == [
        ("h1", "critical", 90),
        ("h1", "warning", 80),
        ("h2", "warning", 80),
    ]


def test_a_problem_has_every_field_of_the_contract() -> None:
    (problem,) = run_monitor(DiskMonitor, [metric(DISK, 85, cluster="beta", host="b-dn1")], thresholds=LIMITS)
    assert problem == Problem(
        check="Disk almost full",
        monitor="DiskMonitor",
        cluster="beta",
        host="b-dn1",
        severity="warning",
        value=85.0,
        compare=">",
        threshold=80,
        description="Data disk above threshold",
        source=f"tests/evaluator/test_emit.py#L{line_of('# the emit line')}",
        service="test_emit",
        pending=300.0,
    )
    assert problem.key == ("Disk almost full", "DiskMonitor", "beta", "b-dn1", "warning")
    assert problem.to_dict() == {
        "check": "Disk almost full",
        "monitor": "DiskMonitor",
        "cluster": "beta",
        "host": "b-dn1",
        "severity": "warning",
        "value": 85.0,
        "compare": ">",
        "threshold": 80,
        "description": "Data disk above threshold",
        "source": problem.source,
    }
    assert problem.summary().split() == [
        "WARNING",
        "beta/b-dn1",
        "Disk",
        "almost",
        "full:",
        "85",
        ">",
        "80",
        "Data",
        "disk",
        "above",
        "threshold",
    ]


def test_the_source_link_follows_the_configured_template() -> None:
    config = Config(file="<test>", links=LinksConfig(source="https://git.example/khp/blob/main/{path}#L{line}"))
    (problem,) = run_monitor(DiskMonitor, [metric(DISK, 85)], thresholds=LIMITS, config=config)
    line = line_of("# the emit line")
    assert problem.source == f"https://git.example/khp/blob/main/tests/evaluator/test_emit.py#L{line}"


def test_a_cluster_level_problem_has_no_host() -> None:
    class Fullest(Monitor):
        def run(self) -> None:
            self.emit("Fullest disk", critical=self.max(DISK) > 90)

    (problem,) = run_monitor(Fullest, [metric(DISK, 95, host="h1"), metric(DISK, 10, host="h2")])
    assert (problem.cluster, problem.host, problem.severity, problem.value, problem.compare, problem.threshold) == (
        "alpha",
        None,
        "critical",
        95.0,
        ">",
        90,
    )


def test_emitting_a_vector_without_a_comparison_is_an_error_at_the_emit_line() -> None:
    class Anything(Monitor):
        def run(self) -> None:
            self.emit("Reported", warning=self.all(DISK))

    with pytest.raises(DslError) as caught:
        run_monitor(Anything, [metric(DISK, 5)])
    message = str(caught.value)
    assert message.startswith("emit('Reported') at line ")
    assert "warning= got all('hdfs/datanode/disk.used_percent'), which carries no comparison" in message
    assert "warning=value > self.w('key')" in message
    assert caught.value.where is not None
    assert caught.value.where[0] == __file__
    assert caught.value.where[1] == int(message.split("at line ")[1].split(":")[0])


def test_an_uncompared_vector_with_no_elements_emits_nothing() -> None:
    class Anything(Monitor):
        def run(self) -> None:
            self.emit("Reported", warning=self.all(DISK))

    assert run_monitor(Anything, []) == []


def test_element_detail_is_added_to_the_description() -> None:
    class Fatal(Monitor):
        def run(self) -> None:
            self.emit("Fatal process", warning=self.process_count("FATAL") > 0, description="Supervisor gave up")
            self.emit("Fatal process, no description", warning=self.process_count("FATAL") > 0)

    problems = run_monitor(Fatal, [process("hdfs-datanode", "FATAL", spawnerr="Exited too quickly")])
    assert [p.description for p in problems] == [
        "Supervisor gave up (hdfs-datanode: Exited too quickly)",
        "hdfs-datanode: Exited too quickly",
    ]


def test_emitting_one_check_twice_is_an_error_naming_both_lines() -> None:
    class Twice(Monitor):
        def run(self) -> None:
            used = self.all(DISK)
            self.emit("Disk", warning=used > 10, description="first")
            self.emit("Disk", warning=used > 20, description="second")

    with pytest.raises(DslError) as caught:
        run_monitor(Twice, [metric(DISK, 50)])
    message = str(caught.value)
    first = Twice.run.__code__.co_firstlineno + 2
    assert message.startswith(f"emit('Disk') at line {first + 1}: check 'Disk' was already emitted at line {first};")
    assert "give each emit its own check name" in message


def test_a_check_emitted_in_a_loop_is_an_error_too() -> None:
    class Loop(Monitor):
        def run(self) -> None:
            for limit in (10, 20):
                self.emit("Disk", warning=self.all(DISK) > limit)

    with pytest.raises(DslError, match="check 'Disk' was already emitted"):
        run_monitor(Loop, [metric(DISK, 50)])


def test_the_service_label_is_the_class_attribute_or_the_module_name() -> None:
    class Named(Monitor):
        service = "hdfs"

        def run(self) -> None:
            self.emit("Disk", warning=self.all(DISK) > 0)

    assert [p.service for p in run_monitor(Named, [metric(DISK, 1)])] == ["hdfs"]
    assert DiskMonitor.service_name() == "test_emit"


def test_emitting_resolves_nothing_until_problems_are_asked_for(dsl: Callable[..., Probe]) -> None:
    monitor = dsl([metric(DISK, 95)])
    monitor.emit("Disk", warning=monitor.all(DISK) > 90)
    assert [(p.check, p.value) for p in monitor.problems()] == [("Disk", 95.0)]


# -- pending: emit > monitor class > cluster file > global ---------------------------------------------


def pending_of(monitor: type[Monitor], clusters: dict[str, ClusterSetup] | None = None) -> dict[str, float | None]:
    config = Config(file="<test>", evaluation=EvaluationConfig(pending=300))
    rows = [metric(DISK, 95, cluster=c) for c in ("alpha", "beta")]
    return {p.cluster or "": p.pending for p in run_monitor(monitor, rows, clusters=clusters, config=config)}


class GlobalPending(Monitor):
    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 90)


class ClassPending(Monitor):
    pending = "2m"

    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 90)


class EmitPending(Monitor):
    pending = "2m"

    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 90, pending="PT1M")


class ZeroPending(Monitor):
    pending = "2m"

    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 90, pending=0)


ALPHA_3M = {"alpha": ClusterSetup(pending="3m")}


def test_pending_defaults_to_the_global_setting() -> None:
    assert pending_of(GlobalPending) == {"alpha": 300, "beta": 300}


def test_a_cluster_files_pending_beats_the_global_one() -> None:
    assert pending_of(GlobalPending, ALPHA_3M) == {"alpha": 180, "beta": 300}


def test_a_monitors_pending_beats_the_cluster_file() -> None:
    assert pending_of(ClassPending, ALPHA_3M) == {"alpha": 120, "beta": 120}


def test_an_emits_pending_beats_everything() -> None:
    assert pending_of(EmitPending, ALPHA_3M) == {"alpha": 60, "beta": 60}
    assert pending_of(ZeroPending, ALPHA_3M) == {"alpha": 0, "beta": 0}


def test_a_cluster_pending_of_zero_is_kept() -> None:
    assert pending_of(GlobalPending, {"beta": ClusterSetup(pending=0)}) == {"alpha": 300, "beta": 0}


def test_a_bad_monitor_pending_is_a_dsl_error() -> None:
    class BadPending(Monitor):
        pending = "soon"

        def run(self) -> None:
            self.emit("Disk", warning=self.all(DISK) > 90)

    with pytest.raises(DslError, match="pending: 'soon' is not a duration"):
        run_monitor(BadPending, [metric(DISK, 95)])


class RunbookMonitor(Monitor):
    """A check that says what to do first."""

    def run(self) -> None:
        self.emit("Disk almost full", warning=self.all(DISK) > 80, description="Disk full", action="Clear old logs")


def test_what_to_do_first_travels_with_the_problem_but_not_in_its_dict() -> None:
    (problem,) = run_monitor(RunbookMonitor, [metric(DISK, 85)])
    assert problem.action == "Clear old logs"
    assert "action" not in problem.to_dict()  # khp check --json keeps its documented fields
    (plain,) = run_monitor(DiskMonitor, [metric(DISK, 85)], thresholds=LIMITS)
    assert plain.action == ""


def test_an_action_that_is_not_text_is_a_dsl_error(dsl: Callable[..., Probe]) -> None:
    monitor = dsl([metric(DISK, 95)])
    with pytest.raises(DslError, match=r"emit\('Disk'\): action= is text \(what an operator does first\), got list"):
        monitor.emit("Disk", warning=monitor.all(DISK) > 90, action=["restart it"])
    assert monitor.problems() == []


# -- bad arguments --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda m, v: m.emit("", warning=v), "emit needs a check name"),
        (lambda m, v: m.emit("   ", warning=v), "emit needs a check name"),
        (lambda m, v: m.emit(None, warning=v), "emit needs a check name"),
        (lambda m, v: m.emit("Disk", warning=True), "emit('Disk'): warning= takes a vector (a comparison), got bool"),
        (lambda m, v: m.emit("Disk", warning=v, critical=[1]), "critical= takes a vector (a comparison), got list"),
        (lambda m, v: m.emit("Disk", critical=95.0 > 90), "critical= takes a vector"),
        (lambda m, v: m.emit("Disk", warning=v, pending="soon"), "pending: 'soon' is not a duration"),
        (lambda m, v: m.emit("Disk", warning=v, pending=-60), "pending: -60 is negative"),
    ],
)
def test_bad_emit_arguments_are_dsl_errors(dsl: Callable[..., Probe], call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    monitor = dsl([metric(DISK, 95)])
    with pytest.raises(DslError) as caught:
        call(monitor, monitor.all(DISK) > 90)
    assert fragment in str(caught.value)
    assert monitor.problems() == []


def test_a_dsl_error_is_a_value_error() -> None:
    assert issubclass(DslError, ValueError)


def test_problems_are_frozen() -> None:
    (problem,) = run_monitor(DiskMonitor, [metric(DISK, 85)], thresholds=LIMITS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.value = 1.0  # type: ignore[misc]
