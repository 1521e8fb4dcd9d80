"""``khp maintenance`` and ``khp mute``/``unmute``: silences from the command line.

khp maintenance start CLUSTER --until TIME | --for DURATION --reason TEXT [--by NAME]
khp maintenance list [--cluster C] [--kind maintenance|cri|off] [--json]
khp maintenance extend ID --until TIME | --for DURATION
khp maintenance end CLUSTER|ID
khp mute CHECK --cluster C --level cri|off --for DURATION | --until TIME [--reason TEXT] [--by NAME]
khp unmute CHECK --cluster C

Exit codes: 0 done, 2 the request was refused (the message says why), 1 no Alertmanager answered.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from khp.configuration import Config
from khp.silences import (
    KINDS,
    MUTE_LEVELS,
    AlertmanagerUnavailable,
    InvalidSilence,
    Silence,
    SilenceError,
    SilenceService,
    is_silence_id,
)

from ._commands import help_of


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``maintenance``, ``mute`` and ``unmute`` on the ``khp`` subcommand parsers ``sub``."""
    maintenance = sub.add_parser("maintenance", parents=[common], help=help_of("maintenance"))
    actions = maintenance.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = actions.add_parser("start", parents=[common], help="silence every alert of CLUSTER until an end")
    start.add_argument("cluster", metavar="CLUSTER", help="the cluster to put in maintenance")
    _end_options(start)
    start.add_argument("--reason", metavar="TEXT", help="why (required): shown to everyone who lists silences")
    _by_option(start)

    listing = actions.add_parser("list", parents=[common], help="maintenance windows and mutes now in force")
    listing.add_argument("--cluster", help="only this cluster")
    listing.add_argument("--kind", choices=KINDS, help="only this kind")
    listing.add_argument("--json", action="store_true", help="print a JSON array")

    extend = actions.add_parser("extend", parents=[common], help="move the end of a maintenance window or mute")
    extend.add_argument("id", metavar="ID", help="the silence ID (see 'khp maintenance list')")
    _end_options(extend, later=True)

    end = actions.add_parser("end", parents=[common], help="end a cluster's maintenance, or one silence by ID")
    end.add_argument("target", metavar="CLUSTER|ID", help="a cluster (its maintenance ends) or a silence ID")

    mute = sub.add_parser("mute", parents=[common], help=help_of("mute"))
    mute.add_argument("check", metavar="CHECK", help="the check name, as monitors emit it ('Task slot usage')")
    mute.add_argument("--cluster", required=True, help="the cluster whose alerts of CHECK are muted")
    mute.add_argument("--level", required=True, choices=MUTE_LEVELS, help="cri: critical only; off: nothing")
    _end_options(mute)
    mute.add_argument("--reason", metavar="TEXT", default="", help="why (optional)")
    _by_option(mute)

    unmute = sub.add_parser("unmute", parents=[common], help=help_of("unmute"))
    unmute.add_argument("check", metavar="CHECK", help="the check name, as monitors emit it")
    unmute.add_argument("--cluster", required=True, help="the cluster whose mutes of CHECK end")


def _end_options(parser: argparse.ArgumentParser, later: bool = False) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--until", metavar="TIME", help="end time: ISO-8601 (2026-11-30T18:00:00Z) or epoch seconds")
    what = "this much past the current end" if later else "this long from now"
    group.add_argument("--for", dest="duration", metavar="DURATION", help=f"end {what} (30m, 4h, 2d, PT2H)")


def _by_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", metavar="NAME", default=None, help="who sets it (default: your user name)")


def run(args: argparse.Namespace, config: Config, *, service: SilenceService | None = None) -> int:
    """Carry out a parsed ``maintenance``/``mute``/``unmute`` command; print the outcome."""
    name = args.command + (f" {args.action}" if args.command == "maintenance" else "")
    try:
        return _run(args, service or SilenceService(config))
    except InvalidSilence as exc:
        print(f"khp {name}: {exc}", file=sys.stderr)
        return 2
    except AlertmanagerUnavailable as exc:
        print(f"khp {name}: {exc}", file=sys.stderr)
        return 1
    except SilenceError as exc:
        print(f"khp {name}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, service: SilenceService) -> int:
    if args.command == "mute":
        silence = service.mute(
            args.check, args.cluster, args.level, until=args.until, duration=args.duration,
            created_by=_user(args.by), reason=args.reason,
        )  # fmt: skip
        print(silence.describe())
        return 0
    if args.command == "unmute":
        ended = service.unmute(args.check, args.cluster)
        _print_ended(ended, f"'{args.check}' on {args.cluster} was not muted")
        return 0
    if args.action == "start":
        silence = service.start_maintenance(
            args.cluster, until=args.until, duration=args.duration, reason=args.reason or "",
            created_by=_user(args.by),
        )  # fmt: skip
        print(silence.describe())
        return 0
    if args.action == "list":
        return _list(service.list_silences(cluster=args.cluster, kind=args.kind), args.json)
    if args.action == "extend":
        print(service.extend(args.id, until=args.until, duration=args.duration).describe())
        return 0
    if is_silence_id(args.target):
        one = service.end(args.target)
        print(f"ended: {one.describe()}" if one else f"ended silence {args.target.strip()}")
        return 0
    _print_ended(service.end_maintenance(args.target), f"{args.target} is not in maintenance")
    return 0


def _list(silences: list[Silence], as_json: bool) -> int:
    if as_json:
        print(json.dumps([s.as_dict() for s in silences], indent=2))
        return 0
    if not silences:
        print("no maintenance windows or mutes in force")
        return 0
    rows = [("ID", "KIND", "CLUSTER", "CHECK", "UNTIL", "BY", "REASON")]
    for s in silences:
        kind = s.kind if s.state == "active" else f"{s.kind} ({s.state})"
        ends = s.as_dict()["ends_at"]
        rows.append((s.id, kind, s.cluster, s.check or "-", ends, s.created_by, s.reason))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]).rstrip()
        )
    return 0


def _print_ended(ended: list[Silence], nothing: str) -> None:
    if not ended:
        print(nothing)
    for silence in ended:
        print(f"ended: {silence.describe()}")


def _user(option: str | None) -> str:
    """``--by``, else the OS user name (what Alertmanager records as ``createdBy``)."""
    if option:
        return option
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or ""
