"""Backtesting: monitors replayed over stored history, with the alert rules, for current and candidate thresholds.

Every query takes the evaluation time (DESIGN §4), so a cycle can run as of any past time.
A backtest runs the monitors at every step of a period, feeds each cycle's problems through
the alert bridge's own state machine (pending -> firing -> resolved, failed monitors keep
their state) and estimates the notifications Alertmanager would have sent. A candidate
(thresholds changed with ``--set``, pending times with ``--pending``) runs beside the current
configuration on the same query answers::

    from khp.backtest import render_report, run_backtest
    from evaluator import discover_monitors, select

    report = run_backtest(config, select(discover_monitors(config), ["DruidMonitor"]),
                          start=now - 7 * 86400, end=now, step=60,
                          overrides=["druid_slot_used_percent.warning=85"])
    print(render_report(report))
    report.row("Task slot usage", "druid-002").candidate.notifications_sent

``tuning_hints`` reads the alert history for checks whose notified alerts do not last (they
fire in bursts, or their values sit in a band below those of the faults that last), suggests a
pending time or a threshold (fleet-wide, or one cluster's override), and backtests each: a
suggestion keeps every lasting fault (``hints.lasting``, 30 minutes) or is shown as rejected::

    report = tuning_hints(config, discover_monitors(config), since=now - 7 * 86400, until=now)
    print(render_hints(report))
    [(h.suggestion, h.kept.after, h.kept.before) for h in report.hints if h.suggested]

Errors: ``BacktestError -> OverrideError`` (a bad ``--set``/``--pending``, listing the valid keys,
levels or checks).
"""

from ._errors import BacktestError, OverrideError
from ._faults import Kept, Span
from ._hint import BAND, BURSTS, Hint, HintsReport, Together
from ._hints import tuning_hints
from ._noise import find_hints
from ._notifications import GroupTimings, NotificationEstimate
from ._overrides import Override, PendingOverride, apply_overrides, apply_pending, parse_override, parse_pending
from ._period import Period
from ._render import ProgressBar, render_report
from ._render_hints import render_hints
from ._replay import Side, replay
from ._report import BacktestReport, BacktestRow, Change, Counts
from ._rules import HintRules, hint_rules
from ._run import run_backtest

__all__ = [
    "BAND",
    "BURSTS",
    "BacktestError",
    "BacktestReport",
    "BacktestRow",
    "Change",
    "Counts",
    "GroupTimings",
    "Hint",
    "HintRules",
    "HintsReport",
    "Kept",
    "NotificationEstimate",
    "Override",
    "OverrideError",
    "PendingOverride",
    "Period",
    "ProgressBar",
    "Side",
    "Span",
    "Together",
    "apply_overrides",
    "apply_pending",
    "find_hints",
    "hint_rules",
    "parse_override",
    "parse_pending",
    "render_hints",
    "render_report",
    "replay",
    "run_backtest",
    "tuning_hints",
]
