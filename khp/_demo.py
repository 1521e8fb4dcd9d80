"""``khp simulate`` and ``khp demo``: a simulated fleet in the embedded store, evaluated live."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluator import Evaluator, load_monitors
from khp.configuration import Config, StoreConfig, format_duration, format_time
from khp.history import open_history
from khp.simulator import Fault, Fleet, simulate
from khp.sources import open_sources
from khp.store import Bulk, Store

from ._commands import help_of
from ._common import UsageError, plural, rate_option, step_option, time_option, whole_option
from ._demo_stack import DemoAlertmanager, DemoClock, DemoReceiver, alertmanager_binary, demo_config
from ._pipeline import Pipeline
from ._progress import ProgressLines


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``simulate`` and ``demo`` on the ``khp`` subcommands."""
    sim = sub.add_parser("simulate", parents=[common], help=help_of("simulate"))
    sim.add_argument("--clusters", type=whole_option(1, 1000), default=20, help="number of clusters, 1 to 1000")
    sim.add_argument("--seed", type=whole_option(0), default=1, help="which faults happen, and the noise")
    sim.add_argument(
        "--fault-rate", type=rate_option, default=1.0, help="0 = none, 1.0 = about 0.6 faults per cluster per hour"
    )
    sim.add_argument(
        "--minutes", type=whole_option(1, 60 * 24 * 366), default=60, help="how many minutes of history, up to a year"
    )
    sim.add_argument("--until", help="end of the simulated history: ISO-8601, epoch seconds, now-1h (default: now)")
    sim.add_argument("--step", type=step_option, default="1m", help="time between samples")

    demo = sub.add_parser("demo", parents=[common], help=help_of("demo"))
    demo.add_argument("--clusters", type=whole_option(1, 1000), default=12, help="number of clusters, 1 to 1000")
    demo.add_argument("--seed", type=whole_option(0), default=7, help="which faults happen, and the noise")
    demo.add_argument(
        "--fault-rate", type=rate_option, default=3.0, help="more faults than usual, to have something to see"
    )
    demo.add_argument("--tick", type=rate_option, default=2.0, help="real seconds per simulated minute")
    demo.add_argument("--cycles", type=whole_option(1), help="stop after this many cycles (default: run until stopped)")
    demo.add_argument("--store", default="var/demo.db", help="the demo's own store file (recreated)")
    demo.add_argument("--no-alertmanager", action="store_true", help="do not start Alertmanager beside the demo")


def run_command(args: argparse.Namespace, config: Config) -> int:
    """Carry out a parsed ``simulate`` or ``demo``."""
    if args.command == "simulate":
        end = time_option(args.until, "--until") or time.time()
        end = (end // args.step) * args.step
        start = end - args.minutes * 60
        if start < 0:
            raise UsageError(f"--minutes: {args.minutes} minutes before --until is before 1970")
        return simulate_command(config, args.clusters, args.seed, args.fault_rate, start, end, args.step)
    return demo(
        config,
        args.clusters,
        args.seed,
        args.fault_rate,
        args.tick,
        args.cycles,
        Path(args.store),
        alertmanager=not args.no_alertmanager,
    )


def simulate_command(
    config: Config, clusters: int, seed: int, fault_rate: float, start: float, end: float, step: float
) -> int:
    store = Store(config.store.path)
    fleet = Fleet(clusters=clusters, seed=seed, fault_rate=fault_rate)
    began = time.perf_counter()
    result = simulate(store, fleet, start, end, step, progress=ProgressLines("simulate"))
    elapsed = time.perf_counter() - began
    print(
        f"simulated {clusters} clusters from {format_time(start)} to {format_time(end)} every"
        f" {format_duration(step)} into {config.store.path} in {elapsed:.1f}s ({result.rows_per_second:,.0f} rows/s):"
        f" {result.counts()}"
    )
    faults = fleet.faults_between(start, end)
    print(f"{plural(len(faults), 'fault')} planted (seed {seed}):")
    for fault in faults[:40]:
        print(f"  {_fault_line(fault)}")
    if len(faults) > 40:
        print(f"  ... and {len(faults) - 40} more")
    return 0


def _fault_line(fault: Fault) -> str:
    """``2026-11-29T09:40:00Z for 4m  disk_full  kudu-004/kudu-004-ts3 (intensity 0.69)``."""
    where = fault.cluster + (f"/{fault.host}" if fault.host else "")
    where += f", program {fault.program}" if fault.program else ""
    when = f"{format_time(fault.start)} for {format_duration(fault.duration)}"
    return f"{when}  {fault.kind}  {where} (intensity {fault.intensity:.2f})"


def demo(
    config: Config,
    clusters: int,
    seed: int,
    fault_rate: float,
    tick: float,
    cycles: int | None,
    store_path: Path,
    output: Callable[[str], Any] = print,
    alertmanager: bool = True,
) -> int:
    """Simulate a fleet minute by minute, evaluate it each minute and print what appears and heals.

    With Alertmanager installed (and ``alertmanager`` true) a real one runs beside it with the
    rendered routing config, and problems that last their pending time are sent to it.
    """
    if store_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    store = Store(store_path)
    fleet = Fleet(clusters=clusters, seed=seed, fault_rate=fault_rate)
    # The cluster files describe real clusters; the simulated ones (hadoop-001, ...) have none, and
    # hosts a file lists but the fleet lacks would only show up as silent.
    simulated = {c.name for c in fleet.clusters}
    config = dataclasses.replace(
        config,
        store=StoreConfig(path=store_path, retention=config.store.retention),
        clusters={name: c for name, c in config.clusters.items() if name in simulated},
    )
    step = 60.0
    now = (time.time() // step) * step
    output(
        f"khp demo: {clusters} simulated clusters (seed {seed}) in {store_path}; one simulated minute every"
        f" {tick:g}s. Ctrl-C stops."
    )
    simulate(store, fleet, now - config.evaluation.window, now, step)
    monitors = load_monitors(config)  # one that cannot load is reported, the others run
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    done = 0
    clock = DemoClock(step, tick)
    directory = store_path.parent / "demo"
    binary = alertmanager_binary() if alertmanager else None
    manager = DemoAlertmanager(directory / "alertmanager", binary) if binary else None
    receiver = DemoReceiver(directory / "receiver") if manager is not None else None
    history = open_history(config) if receiver is not None else None
    if manager is not None and receiver is not None and history is not None:
        config = receiver.configure(demo_config(config, directory, manager.url, receiver.url))
        receiver.start(config, history=clock.retimed(history.record))  # the deliveries, on the demo's clock
        manager.start(config)
        output(f"Alertmanager (grouping, inhibition, silences) at {manager.url}; chat messages print below")
    elif alertmanager:
        output("Alertmanager is not installed (Debian: prometheus-alertmanager): problems are not sent")
    with (
        Pipeline(config, output, stamp=True, alerting=manager is not None) as pipeline,
        Evaluator(config, open_sources(config, store), monitors) as evaluator,
    ):
        while not stop.is_set():
            result = evaluator.cycle(at=now)
            clock.cycle(now)
            pipeline.after_cycle(result)
            done += 1
            if cycles is not None and done >= cycles:
                break
            if stop.wait(tick):
                break
            now += step
            chunk = fleet.chunk([now], now - step)
            store.write_bulk(Bulk.of(chunk.series, chunk.logs, chunk.processes))
    if manager is not None:
        manager.stop()
    if receiver is not None:
        receiver.stop()
    if history is not None:
        history.close()
    output(f"demo stopped after {plural(done, 'cycle')}; {plural(len(pipeline.active), 'problem')} active")
    return 0
