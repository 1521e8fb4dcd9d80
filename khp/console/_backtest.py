"""The cluster page's backtest form: replay monitors over the stored history with candidate thresholds.

Runs ``backtest.run_backtest`` in the request (bounded to ``MAX_EVALUATIONS`` evaluation times
so a gunicorn worker answers within its timeout); the candidate lines apply to this cluster
(``druid_slot_used_percent.warning=85`` means ``<cluster>:druid_slot_used_percent.warning=85``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evaluator import MonitorLoadError, discover_monitors, select
from khp.configuration import Config, parse_duration

MAX_EVALUATIONS = 2016  # a week at 5m, a day at 1m


class BacktestRefused(Exception):
    """A backtest form that cannot run; the message says what to change."""


@dataclass(frozen=True)
class BacktestRequest:
    cluster: str
    monitor: str  # a monitor name, or "" for every monitor
    since: str = "1d"
    step: str = "5m"
    overrides: str = ""  # one KEY.LEVEL=VALUE a line
    pending: str = ""  # e.g. 10m


def candidate_lines(cluster: str, text: str) -> list[str]:
    """The ``--set`` strings of the form: one per non-empty line, scoped to ``cluster`` unless scoped already."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [line if ":" in line.split("=", 1)[0] else f"{cluster}:{line}" for line in lines]


def run(
    config: Config, request: BacktestRequest, now: float, progress: Callable[[int, int], None] | None = None
) -> Any:
    """The ``BacktestReport`` of ``request`` ending ``now``; ``BacktestRefused`` with the reason."""
    from khp.backtest import BacktestError, run_backtest

    try:
        span = parse_duration(request.since)
        step = parse_duration(request.step)
    except ValueError as exc:
        raise BacktestRefused(str(exc)) from None
    if step <= 0 or span <= 0:
        raise BacktestRefused("the period and the step are longer than 0")
    if span / step > MAX_EVALUATIONS:
        raise BacktestRefused(
            f"{int(span / step):,} evaluation times is more than the console runs ({MAX_EVALUATIONS:,}); use a larger"
            " step or a shorter period, or run `khp backtest` from a shell"
        )
    monitors = discover_monitors(config)
    if request.monitor:
        try:
            monitors = select(monitors, [request.monitor])
        except MonitorLoadError as exc:  # it names the known monitors
            raise BacktestRefused(str(exc)) from None
    try:
        return run_backtest(
            config,
            monitors,
            now - span,
            now,
            step,
            candidate_lines(request.cluster, request.overrides),
            clusters=[request.cluster],
            progress=progress,
            pending=[request.pending.strip()] if request.pending.strip() else [],
        )
    except BacktestError as exc:
        raise BacktestRefused(str(exc)) from None
