"""Known check names: literal first arguments of ``self.emit`` in the monitors, plus the evaluator's own."""

from __future__ import annotations

from pathlib import Path

from evaluator import Monitor
from evaluator.monitors.druid import DruidMonitor
from khp.silences import EVALUATOR_CHECKS, emit_names, known_checks
from khp.silences._checks import configured_checks

from .helpers import project_config


class Mixed(Monitor):
    def run(self) -> None:
        self.emit("Literal")
        self.emit(name="By keyword")
        name = "Computed"
        self.emit(name)  # not a literal: unknown to silences, pass checks= to accept it
        self.other("Not an emit")  # type: ignore[attr-defined]


def test_emit_names_are_the_literal_check_names() -> None:
    assert emit_names(Mixed) == {"Literal", "By keyword"}
    assert emit_names(DruidMonitor) == {
        "Task slot usage",
        "Pending tasks",
        "Failed tasks",
        "Unavailable segments",
        "Segment cache usage",
        "No coordinator leader",
        "No overlord leader",
        "Failed queries",
        "Kafka ingestion lag",
    }


def test_the_evaluators_own_problems_are_always_known() -> None:
    assert EVALUATOR_CHECKS == ("Monitor failed", "Monitor timed out", "Source unavailable")
    assert known_checks([DruidMonitor]) >= {"Task slot usage", "Monitor failed", "Source unavailable"}


def test_the_configured_monitors_decide(tmp_path: Path) -> None:
    config = project_config(tmp_path, ["http://127.0.0.1:9"])
    assert configured_checks(config) == {
        "Task slot usage",
        "Slot leak",
        "Monitor failed",
        "Monitor timed out",
        "Source unavailable",
    }
