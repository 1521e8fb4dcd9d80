"""``khp backtest`` and ``khp hints``: replay monitors over stored history; tune noisy checks.

khp backtest [MONITOR...] [--from 7d] [--until TIME] [--step 1m] [--cluster C] [--set KEY.LEVEL=V ...]
             [--pending [CHECK=|CLUSTER:]DURATION ...] [--json] [--progress]
khp hints [--since 7d] [--until TIME] [--step 1m] [--cluster C] [--no-backtest] [--json] [--progress]

Exit codes: 0 printed, 2 a bad option (unknown monitor, key, level or check), 1 the history
could not be read (hints).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from evaluator import discover_monitors, select
from khp.backtest import (
    BacktestError,
    ProgressBar,
    render_hints,
    render_report,
    run_backtest,
    tuning_hints,
)
from khp.configuration import Config, format_time, parse_duration, parse_time
from khp.history import HistoryError

from ._commands import help_of
from ._common import UsageError

_BACKTEST_EPILOG = """\
Each evaluation time runs the monitors as of that time, then the alert bridge's rules: a
problem fires once present at every step for its pending time, resolves when gone, and keeps
its state while its monitor fails. "sent" (notifications sent) estimates Alertmanager's
notifications for the routes `khp alertmanager-config` renders: groups per (alertname,
cluster) within each severity's route; the first notification group_wait after the first
firing alert, then at most one per group_interval while the group changes, a repeat after
repeat_interval with nothing new, and one when all of it resolved; critical inhibits warning
on equal alertname, cluster and host; each cluster's own routing timings. "notified"
(problems notified) counts the alerts that were in a notification while they fired, as
`khp stats` does. Silences are not replayed.

--set edits the configuration as its files would: KEY.LEVEL=V the default in khp.yml
(clusters whose own file sets that level keep it), CLUSTER:KEY.LEVEL=V one cluster's file;
V null turns the level off. --pending DURATION gives every problem that pending time,
CHECK=DURATION one check's problems (as pending= on its emit would), CLUSTER:DURATION edits the
cluster's file (pending:, for its checks that do not set their own in code). Examples:
  khp backtest DruidMonitor --from 7d --set druid_slot_used_percent.warning=85
  khp backtest --from 2d --cluster druid-002 --set druid-002:druid_slot_used_percent.critical=null
  khp backtest HostMonitor --from 1d --pending "CPU usage=15m"
  khp backtest --from 7d --cluster kudu-004 --pending kudu-004:15m
"""

_HINTS_EPILOG = """\
Reads the alert history for checks whose notified alerts do not last. Short: fired and gone
within half of hints.lasting (khp.yml, default 30m); lasting: fired and present for
hints.lasting or more. A check whose fired alerts are mostly short gets a longer pending time;
one whose short alerts' values sit in a band below the lasting ones' gets a threshold. Where
one cluster holds most of a check's short alerts (or with --cluster), the change is that
cluster's override: CLUSTER:KEY.LEVEL=V, or its cluster file's pending time.

Each change is backtested over the period beside the current settings: it is suggested only
if every lasting fault still fires (the delay is shown) and it saves notifications; otherwise
it is shown as rejected, with the faults it would lose. "Together" adds up the suggestions that
act on different checks and clusters, with the khp backtest command that replays them all.
"""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``backtest`` and ``hints`` on the ``khp`` subcommands."""
    backtest = sub.add_parser(
        "backtest",
        parents=[common],
        help=help_of("backtest"),
        epilog=_BACKTEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backtest.add_argument("monitors", nargs="*", metavar="MONITOR", help="only these monitors (default: all)")
    backtest.add_argument(
        "--from", dest="start", default="7d", help="a duration back from --until (7d, 12h) or a time (default 7d)"
    )
    backtest.add_argument("--until", help="end of the period: ISO-8601, epoch seconds, now-1d (default now)")
    backtest.add_argument("--step", help="time between evaluations (default evaluation.interval)")
    backtest.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    backtest.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="[CLUSTER:]KEY.LEVEL=VALUE",
        help="a candidate threshold, e.g. druid_slot_used_percent.warning=85 (repeatable; VALUE null turns it off)",
    )
    backtest.add_argument(
        "--pending",
        action="append",
        default=[],
        metavar="[CHECK=|CLUSTER:]DURATION",
        help="a candidate pending time for every check, one check, or one cluster's file (repeatable)",
    )
    backtest.add_argument("--json", action="store_true", help="print the report as JSON")
    backtest.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")

    hints = sub.add_parser(
        "hints",
        parents=[common],
        help=help_of("hints"),
        epilog=_HINTS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hints.add_argument("--since", default="7d", help="a duration back from --until (7d, 12h) or a time (default 7d)")
    hints.add_argument("--until", help="end of the period (default now)")
    hints.add_argument("--step", help="time between evaluations of the backtests (default evaluation.interval)")
    hints.add_argument("--cluster", help="only this cluster's alerts; every change is that cluster's override")
    hints.add_argument(
        "--no-backtest",
        action="store_true",
        help="only read the history: candidates, not checked against lasting faults",
    )
    hints.add_argument("--json", action="store_true", help="print the hints as JSON")
    hints.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")


def run(
    args: argparse.Namespace, config: Config, clock: Callable[[], float] = time.time, stderr: TextIO | None = None
) -> int:
    """Run ``khp backtest`` or ``khp hints`` as parsed by ``add_parser``."""
    stderr = stderr if stderr is not None else sys.stderr
    progress = ProgressBar(stderr, args.command) if args.progress or stderr.isatty() else None
    if args.command == "backtest":
        return _backtest(args, config, clock(), progress)
    return _hints(args, config, clock(), progress, stderr)


def _backtest(args: argparse.Namespace, config: Config, now: float, progress: ProgressBar | None) -> int:
    start, end = time_range("--from", args.start, args.until, now)
    step = _step(args.step, config)
    monitors = discover_monitors(config)
    if args.monitors:
        monitors = select(monitors, args.monitors)
    try:
        report = run_backtest(
            config,
            monitors,
            start,
            end,
            step,
            args.overrides,
            tuple(args.cluster) if args.cluster else None,
            progress,
            pending=args.pending,
        )
    except BacktestError as exc:
        raise UsageError(str(exc)) from None
    _print(report.as_json() if args.json else render_report(report), args.json)
    return 0


def _hints(args: argparse.Namespace, config: Config, now: float, progress: ProgressBar | None, stderr: TextIO) -> int:
    since, until = time_range("--since", args.since, args.until, now)
    step = _step(args.step, config)
    try:
        report = tuning_hints(
            config,
            discover_monitors(config),
            since,
            until,
            step=step,
            cluster=args.cluster,
            backtest=not args.no_backtest,
            progress=progress,
        )
    except HistoryError as exc:
        print(f"khp hints: {exc}", file=stderr)
        return 1
    except BacktestError as exc:
        raise UsageError(str(exc)) from None
    _print(report.as_json() if args.json else render_hints(report), args.json)
    return 0


def time_range(option: str, start: str, until: str | None, now: float) -> tuple[float, float]:
    """``(start, end)`` from ``--from``/``--since`` (a duration back from the end, or a time) and ``--until``."""
    try:
        end = now if until is None else parse_time(until, now)
    except ValueError as exc:
        raise UsageError(f"--until: {exc}") from None
    try:
        begin = end - parse_duration(start)
    except ValueError:
        try:
            begin = parse_time(start, now)
        except ValueError:
            raise UsageError(
                f"{option}: {start!r} is neither a duration ('7d', '12h') nor a time ('2026-11-01T00:00:00Z')"
            ) from None
    if begin >= end:
        raise UsageError(f"{option}: {format_time(begin)} is not before --until {format_time(end)}")
    return begin, end


def _step(text: str | None, config: Config) -> float:
    if text is None:
        return config.evaluation.interval
    try:
        step = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--step: {exc}") from None
    if step <= 0:
        raise UsageError("--step: a positive duration, e.g. 1m")
    return step


def _print(output: Any, as_json: bool) -> None:
    if as_json:
        json.dump(output, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(output)
