"""Progress of long commands: redrawn in place on a terminal, whole lines in a file."""

from __future__ import annotations

import io
import re
from pathlib import Path

from khp._progress import ProgressLines

from .helpers import khp


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_off_a_terminal_progress_is_a_line_at_each_tenth_and_never_a_carriage_return() -> None:
    out = io.StringIO()
    progress = ProgressLines("simulate", out, terminal=False, clock=Ticking())
    for done in range(1, 101):
        progress(done, 100)

    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 10
    assert lines[0].startswith("simulate  10% (10 of 100 steps, ")
    assert lines[-1].startswith("simulate 100% (100 of 100 steps, ") and "left" not in lines[-1]


def test_on_a_terminal_progress_is_one_line_redrawn_and_ended() -> None:
    out = io.StringIO()
    progress = ProgressLines("replay", out, unit="evaluations", terminal=True, clock=Ticking())
    for done in range(1, 4):
        progress(done, 3)

    assert out.getvalue().count("\r") == 3
    assert out.getvalue().endswith("\n") and out.getvalue().count("\n") == 1
    assert "(2 of 3 evaluations, " in out.getvalue()


def test_simulate_writes_its_progress_as_lines_when_stderr_is_a_file(project: Path) -> None:
    result = khp(project, "simulate", "--clusters", "2", "--minutes", "30", "--until", "2026-11-29T10:00:00Z")

    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    assert "simulate 100% (31 of 31 steps, " in result.stderr.splitlines()[-1]
    assert "simulated 2 clusters from 2026-11-29T09:30:00Z to 2026-11-29T10:00:00Z" in result.stdout


def test_simulate_says_its_time_once_and_lists_each_fault_on_a_line_for_people(project: Path) -> None:
    result = khp(
        project,
        "simulate",
        "--clusters",
        "5",
        "--minutes",
        "120",
        "--fault-rate",
        "3",
        "--until",
        "2026-11-29T10:00:00Z",
    )

    assert result.returncode == 0, result.stderr
    summary, planted, *faults = result.stdout.splitlines()
    assert re.fullmatch(
        r"simulated 5 clusters .* in [\d.]+s \([\d,]+ rows/s\): \d+ steps of 5 clusters .* \d+ faults", summary
    )
    assert len(re.findall(r"\b\d+\.\ds\b", summary)) == 1 and summary.count(" rows/s") == 1  # the time, once
    assert re.fullmatch(r"\d+ faults? planted \(seed 1\):", planted)
    assert faults
    line = re.compile(
        r"  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ for \w+  [a-z_]+  "
        r"[\w.-]+(/[\w.-]+)?(, program [\w.-]+)? \(intensity [01]\.\d\d\)"
    )
    for text in faults:
        assert line.fullmatch(text) or text.startswith("  ... and "), text
