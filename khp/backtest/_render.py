"""Text for a terminal: the backtest table and a progress bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from khp.configuration import format_duration

from ._report import BacktestReport, Counts

COLUMNS = ("detected", "fired", "notified", "sent")
ESTIMATE = [
    "notified: problems notified (alerts in a notification while firing); sent: notifications sent.",
    "Alertmanager's notifications are estimated per (alertname, cluster) group of each severity route:",
    "  the first group_wait after it fires, updates at most every group_interval, a repeat after repeat_interval,",
    "  one on resolve; critical inhibits warning; silences are not replayed (see khp backtest --help)",
]


def render_report(report: BacktestReport) -> str:
    """The report as a table: one row per check, cluster and severity; current and candidate side by side."""
    scope = ", ".join(report.clusters) if report.clusters is not None else "all clusters"
    lines = [
        f"Backtest {report.period}: {report.evaluations:,} evaluations of {', '.join(report.monitors)}, {scope}",
    ]
    if report.candidate is not None:
        lines.append(f"candidate: {report.describe_candidate()}")
    lines.append("")
    names = ["check", "cluster", "severity"]
    groups = ["current"] + (["candidate"] if report.candidate is not None else [])
    body: list[list[str]] = []
    for row in report.rows:
        cells = [row.check, row.cluster or "-", row.severity, *_cells(row.current)]
        if report.candidate is not None:
            cells += _cells(row.candidate or Counts())
        body.append(cells)
    total = ["total", "", "", *_cells(report.current)]
    if report.candidate is not None:
        total += _cells(report.candidate)
    if body:
        lines += _grid(names, groups, [*body, total], totals=1)
    else:
        lines.append("nothing detected in the period")
    lines.append("")
    for monitor, count in report.failed.items():
        lines.append(
            f"{monitor} failed or timed out at {count:,} of {report.evaluations:,} evaluations; its problems kept their"
            " state then"
        )
    lines += [f"note: {note}" for note in report.notes]
    timings = "; ".join(
        f"{name} " + "/".join(map(format_duration, (t.group_wait, t.group_interval, t.repeat_interval)))
        for name, t in report.timings.items()
    )
    lines += ESTIMATE
    lines.append(f"timings (group_wait/group_interval/repeat_interval): {timings}")
    return "\n".join(lines) + "\n"


class ProgressBar:
    """``progress(done, total)`` drawn on one terminal line: bar, count, elapsed and left."""

    def __init__(
        self, stream: TextIO = sys.stderr, label: str = "backtest", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.label = label
        self.clock = clock
        self.began = clock()
        self._drawn = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if done < total and now - self._drawn < 0.2:
            return  # a redraw per evaluation would cost more than the evaluation
        self._drawn = now
        share = done / total if total else 1.0
        width = 30
        bar = "#" * int(share * width)
        elapsed = now - self.began
        left = elapsed / done * (total - done) if done else 0.0
        self.stream.write(
            f"\r{self.label} [{bar:<{width}}] {share:4.0%} {done:,}/{total:,}"
            f"  {format_duration(elapsed)} elapsed, ~{format_duration(left)} left "
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _cells(counts: Counts) -> list[str]:
    return [str(counts.detected), str(counts.fired), str(counts.problems_notified), str(counts.notifications_sent)]


def _grid(names: Sequence[str], groups: Sequence[str], rows: Sequence[Sequence[str]], totals: int = 0) -> list[str]:
    header = [*names, *(column for _group in groups for column in COLUMNS)]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    fixed = len(names)
    span = len(COLUMNS)
    block = [sum(widths[fixed + i * span : fixed + (i + 1) * span]) + 2 * (span - 1) for i in range(len(groups))]

    def line(cells: Sequence[str]) -> str:
        left = [f"{cell:<{width}}" for cell, width in zip(cells[:fixed], widths[:fixed], strict=True)]
        right = [f"{cell:>{width}}" for cell, width in zip(cells[fixed:], widths[fixed:], strict=True)]
        parts = ["  ".join(left)]
        for index in range(len(groups)):
            parts.append("  ".join(right[index * len(COLUMNS) : (index + 1) * len(COLUMNS)]))
        return "  |  ".join(parts).rstrip()

    top = "  ".join(" " * width for width in widths[:fixed])
    top_line = "  |  ".join([top, *(f"{group:^{width}}" for group, width in zip(groups, block, strict=True))]).rstrip()
    rule = "-" * len(line(header))
    out = [top_line, line(header), rule]
    out += [line(row) for row in rows[: len(rows) - totals]]
    if totals:
        out.append(rule)
        out += [line(row) for row in rows[len(rows) - totals :]]
    return out
