"""``khp replay``: record the history of a past period, as ``khp run`` would have recorded it then.

khp replay [MONITOR...] --since 6h [--until TIME] [--step 1m] [--cluster C] [--json] [--progress]

Exit codes: 0 replayed, 2 a bad option (period, monitor) or configuration, 1 the history
could not be written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TextIO

from khp.backtest import BacktestError, Period
from khp.configuration import Config, format_time, parse_duration
from khp.history import HistoryError, open_history

from ._backtest import time_range
from ._commands import help_of
from ._common import UsageError, check_clusters, runtime
from ._history_replay import replay_history
from ._progress import ProgressLines

_EPILOG = """\
At each evaluation time of the period the monitors run as of that time on the stored data,
and the alert bridge's rules (pending, firing, resolved, no data, flapping) turn their problems
into the history events khp run records: detected, healed, fired, resolved. Alertmanager is
not called: its grouping, group_wait, group_interval and repeat_interval (from khp.yml and the
cluster files, as `khp alertmanager-config` renders them) and the inhibition of warning by
critical decide which notifications it would send, and each becomes the `notified` events the
receiver records, one per alert and room. Silences and maintenance are not replayed.
`khp stats --since ... --until ...` over the period then gives its figures. Examples:
  khp simulate --clusters 20 --minutes 360 --until 2026-11-29T10:00:00Z
  khp replay --since 6h --until 2026-11-29T10:00:00Z
  khp stats --since 2026-11-29T04:00:00Z --until 2026-11-29T10:00:01Z
"""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``replay`` on the ``khp`` subcommands."""
    parser = sub.add_parser(
        "replay",
        parents=[common],
        help=help_of("replay"),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("monitors", nargs="*", metavar="MONITOR", help="only these monitors (default: all)")
    parser.add_argument(
        "--since", required=True, help="start: a duration back from --until (6h, 7d) or a time (ISO-8601, epoch)"
    )
    parser.add_argument("--until", help="end of the period: ISO-8601, epoch seconds, now-1d (default now)")
    parser.add_argument("--step", help="time between evaluations (default evaluation.interval)")
    parser.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--progress", action="store_true", help="draw the progress on one line even if stderr is no terminal"
    )


def run(
    args: argparse.Namespace, config: Config, clock: Callable[[], float] = time.time, stderr: TextIO | None = None
) -> int:
    """Replay the period and record its history; print what was recorded."""
    stderr = stderr if stderr is not None else sys.stderr
    since, until = time_range("--since", args.since, args.until, clock())
    try:
        period = Period(since, until, _step(args.step, config))
    except BacktestError as exc:
        raise UsageError(str(exc)) from None
    rt = runtime(config, args.monitors, existing_store=True)
    progress = ProgressLines("replay", stderr, unit="evaluations", terminal=True if args.progress else None)
    try:
        history = open_history(config)
        try:
            summary = replay_history(
                config, rt.monitors, period, rt.sources, history, check_clusters(config, args.cluster), progress
            )
        finally:
            history.close()
    except HistoryError as exc:
        print(f"khp replay: {exc}", file=stderr)
        return 1
    finally:
        if rt.store is not None:
            rt.store.close()
    if args.json:
        json.dump(summary.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in summary.lines():
            print(line)
        end = format_time(period.last + 1)  # stats take [since, until): the last evaluation's events too
        print(f"khp stats --since {format_time(period.first)} --until {end} gives the figures of the period")
    return 0


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
