"""``khp check``: one cycle, its problems printed; ``khp run``: cycles at the configured interval."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from evaluator import CycleResult, Evaluator, MonitorLoadError, Problem, check_thresholds
from khp.configuration import Config, LiveConfig, format_time
from khp.store import CycleLog

from ._commands import help_of
from ._common import Runtime, check_clusters, eprint, runtime, time_option

PRUNE_EVERY = 3600.0


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``check`` and ``run`` on the ``khp`` subcommands."""
    check = sub.add_parser("check", parents=[common], help=help_of("check"))
    check.add_argument("--at", help="evaluate as of this time (ISO-8601, epoch seconds, now-1h)")
    check.add_argument("--monitor", action="append", default=[], help="only this monitor (repeatable)")
    check.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    check.add_argument("--json", action="store_true", help="print the problems as a JSON array")

    run = sub.add_parser("run", parents=[common], help=help_of("run"))
    run.add_argument("--monitor", action="append", default=[])
    run.add_argument("--cluster", action="append", default=[])
    run.add_argument("--cycles", type=int, help="stop after this many cycles")


def run_command(args: argparse.Namespace, config: Config) -> int:
    """Carry out a parsed ``check`` or ``run``."""
    rt = runtime(config, args.monitor)
    clusters = check_clusters(config, args.cluster)
    if args.command == "check":
        return check(rt, time_option(args.at), clusters, args.json)
    return run(rt, clusters, args.cycles)


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
        print(json_lines(p.to_dict() for p in result.problems))
    else:
        for problem in result.problems:
            print(problem.summary())
    eprint(summary(result))
    return 0


def json_lines(items: Iterable[dict[str, Any]]) -> str:
    """A JSON array with one item a line: as readable as ``indent``, and encoded by the C encoder (5x faster)."""
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    return "[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]"


def transition_lines(new: list[Problem], resolved: list[Problem]) -> list[str]:
    return [f"+ {p.summary()}" for p in new] + [f"- {'RESOLVED':8} {p.summary()[9:]}" for p in resolved]


def run(
    rt: Runtime,
    clusters: tuple[str, ...] | None,
    cycles: int | None,
    output: Callable[[str], Any] = print,
    clock: Callable[[], float] = time.time,
) -> int:
    """Evaluate every ``evaluation.interval`` until stopped (SIGINT/SIGTERM) or ``cycles`` ran."""
    from ._pipeline import Pipeline

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    interval = rt.config.evaluation.interval
    last_prune = 0.0
    done = 0
    live = LiveConfig(rt.config)
    with Pipeline(rt.config, output, clusters=clusters) as pipeline, rt.evaluator() as evaluator:
        while not stop.is_set():
            started = clock()
            evaluator.config = _reloaded(live, evaluator)
            pipeline.after_cycle(evaluator.cycle(clusters=clusters))
            if rt.store is not None and started - last_prune >= PRUNE_EVERY:
                cutoff = started - rt.config.store.retention
                rt.store.prune(cutoff)
                pipeline.log.prune(cutoff)
                last_prune = started
            done += 1
            if cycles is not None and done >= cycles:
                break
            stop.wait(max(0.0, interval - (clock() - started)))
    return 0


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
