"""``khp``: the command line of khp-monitor.

khp check [--at TIME] [--monitor NAME] [--cluster NAME] [--json]
khp run [--cycles N]
khp load metrics|logs|processes FILE...
khp simulate [--clusters N] [--seed S] [--minutes M]
khp repl [MONITOR] [--at TIME]
khp demo
khp monitors | cycles | prune
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evaluator import EvaluatorError, discover_monitors, select, threshold_keys
from khp.configuration import Config, ConfigError, parse_duration
from khp.sources import SourceError
from khp.store import KINDS, StoreError

from . import _backtest, _check, _common, _console, _data, _routing, _silences, _stats


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", default=argparse.SUPPRESS, help="path of khp.yml (default: $KHP_CONFIG, else ./khp.yml)"
    )
    top = argparse.ArgumentParser(
        prog="khp", description="Rule-based monitoring for fleets of big-data clusters.", parents=[common]
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help)

    check = command("check", help="run every monitor once and print the problems")
    check.add_argument("--at", help="evaluate as of this time (ISO-8601, epoch seconds, now-1h)")
    check.add_argument("--monitor", action="append", default=[], help="only this monitor (repeatable)")
    check.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    check.add_argument("--json", action="store_true", help="print the problems as a JSON array")

    run = command("run", help="run the monitors every evaluation.interval, printing changes")
    run.add_argument("--monitor", action="append", default=[])
    run.add_argument("--cluster", action="append", default=[])
    run.add_argument("--cycles", type=int, help="stop after this many cycles")

    load = command("load", help="load JSON-lines files into the embedded store (all or nothing per file)")
    load.add_argument("kind", choices=KINDS)
    load.add_argument("files", nargs="+", metavar="FILE")

    sim = command("simulate", help="write a simulated fleet with faults into the embedded store")
    sim.add_argument("--clusters", type=int, default=20, help="number of clusters, up to 1000 (default 20)")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--fault-rate", type=float, default=1.0, help="1.0 = the usual number of faults")
    sim.add_argument("--minutes", type=int, default=60, help="how much history, ending now (default 60)")
    sim.add_argument("--until", help="end of the simulated history (default now)")
    sim.add_argument("--step", type=_duration, default=60.0, help="time between samples (default 1m)")

    repl = command("repl", help="the monitor DSL at a Python prompt")
    repl.add_argument("monitor", nargs="?", help="work inside this monitor (run() runs it)")
    repl.add_argument("--at", help="evaluate as of this time")

    demo = command("demo", help="simulated fleet + evaluator loop on the embedded store")
    demo.add_argument("--clusters", type=int, default=12)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--fault-rate", type=float, default=3.0, help="more faults than usual, to have something to see")
    demo.add_argument("--tick", type=float, default=2.0, help="real seconds per simulated minute (default 2)")
    demo.add_argument("--cycles", type=int, help="stop after this many cycles")
    demo.add_argument("--store", default="var/demo.db", help="the demo's own store file (recreated)")
    demo.add_argument("--no-alertmanager", action="store_true", help="do not start Alertmanager beside the demo")

    monitors = command("monitors", help="list the monitors, their checks' thresholds and where they live")
    monitors.add_argument("names", nargs="*")

    cycles = command("cycles", help="show the records of recent cycles")
    cycles.add_argument("--last", type=int, default=10)
    cycles.add_argument("--json", action="store_true")

    prune = command("prune", help="delete stored data older than store.retention")
    prune.add_argument("--older-than", type=_duration, help="override the retention (e.g. 2d)")
    _routing.add_parser(sub, common)
    _silences.add_parsers(sub, common)
    _stats.add_parser(sub, common)
    _console.add_parser(sub, common)
    _backtest.add_parser(sub, common)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ConfigError, EvaluatorError, StoreError, SourceError, _common.UsageError, OSError) as exc:
        print(f"khp {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    config = _common.load(getattr(args, "config", None))
    command = args.command
    if command in _silences.COMMANDS:
        return _silences.run(args, config)
    if command == "check":
        rt = _common.runtime(config, args.monitor)
        return _check.check(rt, _common.time_option(args.at), _common.check_clusters(config, args.cluster), args.json)
    if command == "run":
        rt = _common.runtime(config, args.monitor)
        scope = tuple(m.monitor_name() for m in rt.monitors) if args.monitor else None
        return _check.run(rt, _common.check_clusters(config, args.cluster), args.cycles, monitors=scope)
    if command == "load":
        return _data.load(config, args.kind, args.files)
    if command == "prune":
        return _data.prune(config, args.older_than)
    if command == "cycles":
        return _data.cycles(config, args.last, args.json)
    if command in _backtest.COMMANDS:
        return _backtest.run(args, config)
    if command == "console":
        return _console.run(args, config)
    if command == "stats":
        return _stats.run(args, config)
    if command == "alertmanager-config":
        return _routing.run(args, config)
    if command == "monitors":
        return _list_monitors(config, args.names)
    if command == "repl":
        from . import _repl

        rt = _common.runtime(config, [args.monitor] if args.monitor else [])
        shell = _repl.MonitorShell(
            config, rt.sources, rt.monitors[0] if args.monitor else None, _common.time_option(args.at)
        )
        assert rt.store is not None
        return _repl.interact(shell, rt.store.metric_paths)
    from . import _demo

    if command == "simulate":
        if not 1 <= args.clusters <= 1000:
            raise _common.UsageError("--clusters: between 1 and 1000")
        end = _common.time_option(args.until, "--until") or time.time()
        end = (end // args.step) * args.step
        return _demo.simulate_command(
            config, args.clusters, args.seed, args.fault_rate, end - args.minutes * 60, end, args.step
        )
    return _demo.demo(
        config,
        args.clusters,
        args.seed,
        args.fault_rate,
        args.tick,
        args.cycles,
        Path(args.store),
        alertmanager=not args.no_alertmanager,
    )


def _list_monitors(config: Config, names: Sequence[str]) -> int:
    import inspect

    monitors = discover_monitors(config)
    if names:
        monitors = select(monitors, names)
    for monitor in monitors:
        doc = (inspect.getdoc(monitor) or "").splitlines()[0:1]
        print(f"{monitor.monitor_name():22} {inspect.getsourcefile(monitor)}  {doc[0] if doc else ''}")
        keys = sorted(threshold_keys(monitor))
        for key in keys:
            level = config.thresholds[key]
            print(f"    {key}: warning={level.warning} critical={level.critical}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
