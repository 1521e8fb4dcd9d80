"""``khp stats``: the noise ledger (of all problems detected, the share notified to the warning and
to the critical room, and why the rest reached nobody), per cluster and check, and per severity.

khp stats [--since 7d] [--until TIME] [--cluster C] [--json]

``--since`` is a duration back from ``--until`` (``7d``, ``PT12H``) or a time; ``--until``
defaults to now. Exit codes: 0 printed, 2 a bad option, 1 the history could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from khp.configuration import Config, format_duration, format_time, parse_duration, parse_time
from khp.history import REASON_LABELS, Figures, HistoryError, Ledger, LedgerRow, Statistics, open_history, statistics

from ._commands import help_of
from ._common import UsageError

COLUMNS = (
    "detected",
    "healed",
    "fired",
    "resolved",
    "open",
    "notified",
    "% notified",
    "sent",
    "failed",
    "median heal",
)
REASON_COLUMNS = {
    "healed_while_pending": "healed",
    "maintenance": "maint",
    "muted": "muted",
    "silenced": "silenced",
    "inhibited": "inhibited",
    "grouped": "grouped",
    "flapping": "flapping",
    "delivery_failed": "failed",
    "still_pending": "pending",
    "not_notified_yet": "unsent",
}
TOP = 15


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``stats [--since 7d] [--until TIME] [--cluster C] [--json]`` on the ``khp`` subcommands."""
    parser = sub.add_parser(
        "stats",
        parents=[common],
        help=help_of("stats"),
    )
    parser.add_argument("--since", default="7d", help="a duration back from --until (7d, 12h) or a time (default 7d)")
    parser.add_argument("--until", help="end of the range: ISO-8601, epoch seconds, now-1d (default now)")
    parser.add_argument("--cluster", help="only this cluster")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def run(args: argparse.Namespace, config: Config, clock: Callable[[], float] = time.time) -> int:
    """Read the history of the range and print its statistics; 1 if the history cannot be read."""
    since, until = time_range(args.since, args.until, clock())
    try:
        history = open_history(config, read_only=True)
        try:
            events = history.events(since, until, args.cluster)
        finally:
            history.close()
    except HistoryError as exc:
        print(f"khp stats: {exc}", file=sys.stderr)
        return 1
    figures = statistics(events, since, until, args.cluster)
    if args.json:
        json.dump(figures.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(figures))
    return 0


def time_range(since: str, until: str | None, now: float) -> tuple[float, float]:
    """``(since, until)`` in epoch seconds from the options; ``UsageError`` names the bad one."""
    try:
        end = now if until is None else parse_time(until, now)
    except ValueError as exc:
        raise UsageError(f"--until: {exc}") from None
    try:
        start = end - parse_duration(since)
    except ValueError:
        try:
            start = parse_time(since, now)
        except ValueError:
            raise UsageError(
                f"--since: {since!r} is neither a duration ('7d', '12h') nor a time ('2026-11-01T00:00:00Z')"
            ) from None
    if start >= end:
        raise UsageError(f"--since: {format_time(start)} is not before --until {format_time(end)}")
    return start, end


def render(stats: Statistics, top: int = TOP) -> str:
    """The ledger, then the per-severity figures, as readable tables."""
    scope = f"cluster {stats.cluster}" if stats.cluster else "all clusters"
    lines = [
        f"Noise ledger {format_time(stats.since)} .. {format_time(stats.until)}, {scope}: "
        f"{stats.events} events, {stats.actions} operator actions"
        + (f", {stats.unmatched} about problems detected earlier" if stats.unmatched else ""),
        "",
        *_headline(stats.ledger),
    ]
    reasons = [r for r in REASON_COLUMNS if any(row.not_notified.get(r) for row in stats.ledger.by_check)]
    for title, rows in (("cluster", stats.ledger.by_cluster), ("check", stats.ledger.by_check)):
        lines += ["", f"By {title}, most problems notified first" + (f" (top {top})" if len(rows) > top else "")]
        lines += _ledger_table(title, rows[:top], reasons) if rows else [f"{title}: no problems detected"]
    lines += ["", "Alerts per severity (a critical problem raises its warning alert too)"]
    rows_by_level = {**stats.by_severity, "all": stats.total}
    lines += _table("severity", rows_by_level, order=list(rows_by_level))
    return "\n".join(lines) + "\n"


def _headline(ledger: Ledger) -> list[str]:
    total = ledger.total
    detected = total.detected
    notified = total.problems_notified
    silent = detected - notified.get("any", 0)
    rows: list[tuple[str, int]] = [
        ("  notified to the warning room", notified.get("warning", 0)),
        ("  notified to the critical room", notified.get("critical", 0)),
        ("  notified to no room", silent),
    ]
    rows += [
        (f"    {name}", total.not_notified[reason])
        for reason, name in REASON_LABELS.items()
        if total.not_notified.get(reason)
    ]
    width = max(len(label) for label, _count in rows)
    digits = max(len(str(detected)), 5)
    what = "(a check on a cluster and host, warning and critical together)"
    lines = [f"{'problems detected':<{width}}  {detected:>{digits}}  {what}"]
    lines += [f"{label:<{width}}  {count:>{digits}}  {_percent(share(count, detected)):>7}" for label, count in rows]
    sent = total.notifications_sent
    lines.append(
        f"notifications sent: {sent.get('total', 0)}"
        f" (warning {sent.get('warning', 0)}, critical {sent.get('critical', 0)})"
        + (f"; alerts marked flapping: {ledger.flapping_started}" if ledger.flapping_started else "")
    )
    return lines


def _ledger_table(title: str, rows: Sequence[LedgerRow], reasons: Sequence[str]) -> list[str]:
    header = [title, "detected", "warning", "critical", "sent", *(REASON_COLUMNS[r] for r in reasons)]
    cells = [
        [
            row.name,
            str(row.detected),
            str(row.problems_notified.get("warning", 0)),
            str(row.problems_notified.get("critical", 0)),
            str(row.notifications_sent.get("total", 0)),
            *(str(row.not_notified.get(r, 0)) for r in reasons),
        ]
        for row in rows
    ]
    return _grid(header, cells)


def _table(title: str, rows: Mapping[str, Figures], order: Sequence[str] | None = None) -> list[str]:
    names = order if order is not None else sorted(rows, key=lambda name: (-rows[name].detected, name))
    cells = [[name, *_cells(rows[name])] for name in names]
    return _grid([title, *COLUMNS], cells) if cells else [f"{title}: no problems detected"]


def _cells(f: Figures) -> list[str]:
    heal = "-" if f.median_heal_seconds is None else format_duration(f.median_heal_seconds)
    counts = (f.detected, f.healed, f.fired, f.resolved, f.open, f.problems_notified)
    return [*map(str, counts), _percent(f.share_notified), str(f.notifications_sent), str(f.failed), heal]


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]

    def line(cells: Sequence[Any]) -> str:
        first = f"{cells[0]:<{widths[0]}}"
        rest = (f"{cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.2f}%"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
