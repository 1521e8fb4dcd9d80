"""``khp load``, ``khp prune`` and ``khp cycles``: what goes into and comes out of the embedded store."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from khp.configuration import Config, format_time
from khp.store import KINDS, CycleLog, Store

from ._commands import help_of
from ._common import UsageError, duration_option, plural, whole_option


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``load``, ``prune`` and ``cycles`` on the ``khp`` subcommands."""
    load = sub.add_parser("load", parents=[common], help=help_of("load"))
    load.add_argument("kind", choices=KINDS, help="what the files hold: " + ", ".join(KINDS))
    load.add_argument("files", nargs="+", metavar="FILE", help="JSON-lines files; - reads standard input")

    prune = sub.add_parser("prune", parents=[common], help=help_of("prune"))
    prune.add_argument(
        "--older-than", type=duration_option, help="delete what is older than this, e.g. 2d (default: store.retention)"
    )

    cycles = sub.add_parser("cycles", parents=[common], help=help_of("cycles"))
    cycles.add_argument("--last", type=whole_option(1), default=10, help="how many of the latest cycles to show")
    cycles.add_argument("--json", action="store_true", help="print the records as a JSON array")


def run_command(args: argparse.Namespace, config: Config) -> int:
    """Carry out a parsed ``load``, ``prune`` or ``cycles``."""
    if args.command == "load":
        return load(config, args.kind, args.files)
    _require_store(config)
    if args.command == "prune":
        return prune(config, args.older_than)
    return cycles(config, args.last, args.json)


def _require_store(config: Config) -> None:
    if not config.store.path.exists():
        raise UsageError(
            f"the store {config.store.path} does not exist; check 'store:' in {config.file or 'khp.yml'}"
            " (khp load, khp simulate and khp run create it)"
        )


def load(config: Config, kind: str, files: Sequence[str]) -> int:
    """Load each file whole or not at all; the first bad line stops that file with its line number.

    ``-`` reads standard input. Files are read as they are written, so memory stays flat.
    """
    if list(files).count("-") > 1:
        raise UsageError("standard input (-) can be read once")
    store = Store(config.store.path)
    for file in files:
        count = store.load_file(kind, file)
        name = "standard input" if file == "-" else file
        print(f"{name}: loaded {plural(count, f'{kind} record')} into {config.store.path}")
    return 0


def prune(config: Config, older_than: float | None) -> int:
    keep = config.store.retention if older_than is None else older_than
    cutoff = time.time() - keep
    removed = Store(config.store.path).prune(cutoff)
    cycles = CycleLog(config.store.path).prune(cutoff)
    parts = ", ".join(f"{count} {kind}" for kind, count in removed.items())
    print(f"removed {parts} and {plural(cycles, 'cycle record')} older than {format_time(cutoff)}")
    return 0


def cycles(config: Config, last: int, as_json: bool) -> int:
    records = CycleLog(config.store.path).recent(last)
    if as_json:
        print(json.dumps(records, indent=2))
        return 0
    for record in records:
        monitors = record["monitors"]
        slowest = sorted(monitors.items(), key=lambda item: -item[1]["seconds"])[:3]
        failed = [name for name, m in monitors.items() if m["status"] != "ok"]
        queries = record["queries"]
        print(
            f"{format_time(record['started'])} at={format_time(record['at'])} {record['seconds']:.2f}s"
            f" monitors={len(monitors)} queries={queries['executed']}/{queries['requested']}"
            f" peak={queries['peak_in_flight']} slowest="
            + ",".join(f"{name}:{m['seconds']:.2f}s" for name, m in slowest)
            + (f" failed={','.join(failed)}" if failed else "")
        )
    return 0
