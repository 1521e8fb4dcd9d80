"""``khp check``: one cycle, its problems printed; ``khp run``: cycles at the configured interval."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from evaluator import CycleResult, Evaluator, MonitorLoadError, Problem, check_thresholds
from khp.configuration import Config, LiveConfig, format_time
from khp.store import CycleLog

from ._common import Runtime, eprint

PRUNE_EVERY = 3600.0
CATCH_UP = 3  # missed instants evaluated after a late cycle, before skipping to the present


def summary(result: CycleResult) -> str:
    """One line about a cycle: problems by severity, monitors, time, queries."""
    record = result.record
    critical = sum(1 for p in result.problems if p.severity == "critical")
    queries = record.queries
    failed = f", failed: {', '.join(record.failed)}" if record.failed else ""
    return (
        f"{len(result.problems)} problems ({critical} critical, {len(result.problems) - critical} warning) from"
        f" {len(record.monitors)} monitors at {format_time(record.at)} in {record.seconds:.2f}s;"
        f" {queries.executed} queries ({queries.requested - queries.executed} shared),"
        f" peak {queries.peak_in_flight} in flight{failed}"
    )


def check(rt: Runtime, at: float | None, clusters: tuple[str, ...] | None, as_json: bool) -> int:
    with rt.evaluator() as evaluator:
        result = evaluator.cycle(at=at, clusters=clusters)
    CycleLog(rt.config.store.path).append(result.record.as_dict())
    if as_json:
        print(json.dumps([p.to_dict() for p in result.problems], indent=2, ensure_ascii=False))
    else:
        for problem in result.problems:
            print(problem.summary())
    eprint(summary(result))
    return 0


def transition_lines(new: list[Problem], resolved: list[Problem], ended: Collection[tuple] = ()) -> list[str]:
    """``+`` for what appeared; ``-`` for what healed, or ended for lack of data (``ended`` keys)."""
    gone = [f"- {'NO DATA' if p.key in ended else 'RESOLVED':8} {p.summary()[9:]}" for p in resolved]
    return [f"+ {p.summary()}" for p in new] + gone


def run(
    rt: Runtime,
    clusters: tuple[str, ...] | None,
    cycles: int | None,
    output: Callable[[str], Any] = print,
    clock: Callable[[], float] = time.time,
    monitors: tuple[str, ...] | None = None,
) -> int:
    """Evaluate every ``evaluation.interval`` until stopped (SIGINT/SIGTERM) or ``cycles`` ran.

    The cycles evaluate instants aligned to the interval (``12:00:00, 12:01:00...`` for 1m, the
    first being the one that began last) and the alerts carry those instants as their stamps, as
    Prometheus does: two ``khp run`` of one configuration (an HA pair) send identical alerts,
    which Alertmanager de-duplicates, and record identical history events, stored once. A cycle
    that ends late is followed at once by the instants it missed (up to ``CATCH_UP`` of them), so
    that both replicas evaluate the same instants.
    """
    from ._pipeline import Pipeline

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    interval = rt.config.evaluation.interval
    last_prune = 0.0
    done = 0
    live = LiveConfig(rt.config)
    at = aligned(clock(), interval)
    pipeline = Pipeline(rt.config, output, clusters=clusters, monitors=monitors, evaluation_stamps=True)
    with pipeline, rt.evaluator() as evaluator:
        while not stop.is_set():
            started = clock()
            evaluator.config = _reloaded(live, evaluator)
            pipeline.after_cycle(evaluator.cycle(at=at, clusters=clusters))
            if rt.store is not None and started - last_prune >= PRUNE_EVERY:
                cutoff = started - rt.config.store.retention
                rt.store.prune(cutoff)
                pipeline.log.prune(cutoff)
                last_prune = started
            done += 1
            if cycles is not None and done >= cycles:
                break
            at += interval
            if clock() - at > CATCH_UP * interval:  # too far behind to catch up: on to the present
                at = aligned(clock(), interval)
            stop.wait(max(0.0, at - clock()))
    return 0


def aligned(now: float, interval: float) -> float:
    """The last instant at or before ``now`` on the grid of ``interval`` (whole multiples since the epoch)."""
    return (now // interval) * interval


def _reloaded(live: LiveConfig, evaluator: Evaluator) -> Config:
    """The configuration on disk if a file changed and the monitors accept it, else the one in use.

    Thresholds, cluster files and pending times edited (by hand or in the console) apply from the
    next cycle without a restart; a change that does not load, or that a monitor cannot use, is
    reported and the last good configuration stays in force.
    """
    config = live.current()
    if config is evaluator.config:
        return config
    try:
        for monitor in evaluator.monitors:
            check_thresholds(monitor, config)
    except MonitorLoadError as exc:
        eprint(f"configuration change not applied: {exc}")
        return evaluator.config
    eprint(f"configuration reloaded from {config.file}")
    return config
