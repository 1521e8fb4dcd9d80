"""Replaying monitors over past evaluation times, for one or more settings side by side.

One ``Evaluator`` per configuration is made once and reused for every time (its query pool
with it). All of them read through one ``SharedAnswers``, so at each time a query runs once
whichever side asks first; sides with the same configuration share one evaluation. Times
are produced one at a time and only the alert states and counters are kept, so memory does
not grow with the period.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evaluator import Evaluator, Monitor
from khp.configuration import Config
from khp.sources import Sources

from ._alerts import AlertReplay
from ._errors import BacktestError
from ._overrides import PendingOverride
from ._period import Period
from ._shared import SharedAnswers

Progress = Callable[[int, int], None]  # (evaluation times done, in all)


@dataclass(frozen=True)
class Side:
    """One setting to replay: a configuration, the monitors it runs, candidate pending times."""

    name: str
    config: Config
    monitors: tuple[type[Monitor], ...]
    pending: tuple[PendingOverride, ...] = ()


@dataclass(frozen=True)
class Replayed:
    """The sides' alert replays after the last time, and what it cost."""

    sides: dict[str, AlertReplay]
    seconds: float
    queries_asked: int
    queries_run: int


def replay(
    sources: Sources,
    sides: Sequence[Side],
    period: Period,
    clusters: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Replayed:
    """Evaluate every side's monitors at every time of ``period`` and replay the alert rules."""
    if not sides:
        raise BacktestError("nothing to replay: no side given")
    began = time.perf_counter()
    shared = SharedAnswers(sources)
    scope = tuple(clusters) if clusters is not None else None
    # one evaluator per distinct configuration, running the union of its sides' monitors
    plan: dict[int, tuple[Config, list[type[Monitor]], list[AlertReplay]]] = {}
    replays: dict[str, AlertReplay] = {}
    for side in sides:
        if side.name in replays:
            raise BacktestError(f"two sides are named {side.name!r}")
        if not side.monitors:
            raise BacktestError(f"side {side.name!r} runs no monitor")
        _config, monitors, observers = plan.setdefault(id(side.config), (side.config, [], []))
        monitors.extend(m for m in side.monitors if m not in monitors)
        names = frozenset(m.monitor_name() for m in side.monitors)
        replays[side.name] = AlertReplay(side.config, side.pending, names)
        observers.append(replays[side.name])
    evaluators = [
        (Evaluator(config, shared.sources, monitors), observers) for config, monitors, observers in plan.values()
    ]
    total = period.count
    try:
        for done, at in enumerate(period, start=1):
            for evaluator, observers in evaluators:
                result = evaluator.cycle(at=at, clusters=scope)
                for observer in observers:
                    observer.observe(result)
            shared.clear()
            if progress is not None:
                progress(done, total)
    finally:
        for evaluator, _observers in evaluators:
            evaluator.close()
    for observer in replays.values():
        observer.finish(period.last)
    return Replayed(replays, time.perf_counter() - began, shared.asked, shared.ran)
