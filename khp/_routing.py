"""``khp alertmanager-config``: render ``alertmanager.yml`` from the khp config, write it, check it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from khp.configuration import Config
from khp.routing import Checked, RoutingRejected, render_alertmanager_yaml, write_checked
from khp.routing import check_config as routing_check

from ._commands import help_of

AMTOOL = "amtool"
_CHECK_TIMEOUT = 60.0


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``alertmanager-config [--output FILE] [--check]`` on the ``khp`` subcommands."""
    parser = sub.add_parser(
        "alertmanager-config",
        parents=[common],
        help=help_of("alertmanager-config"),
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write it to FILE, atomically (default: stdout)")
    parser.add_argument(
        "--check", action="store_true", help="validate it with `amtool check-config` first (skipped without amtool)"
    )
    return parser


def run(args: argparse.Namespace, config: Config, amtool: str = AMTOOL) -> int:
    """Render; with ``--check`` validate before anything is written; 1 if amtool rejects it."""
    text = render_alertmanager_yaml(config)
    if args.output:
        return _write(Path(args.output), text, args.check, amtool)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="khp-alertmanager-") as directory:
            candidate = Path(directory) / "alertmanager.yml"
            candidate.write_text(text, encoding="utf-8")
            if not check_config(candidate, amtool):
                return 1
    sys.stdout.write(text)
    return 0


def _write(target: Path, text: str, check: bool, amtool: str) -> int:
    """Write ``text`` beside ``target`` and rename it over; a rejected config leaves ``target`` as it was."""
    try:
        checked = write_checked(target, text, amtool, check=check)
    except RoutingRejected as exc:
        print(f"khp alertmanager-config: {exc}", file=sys.stderr)
        print(f"khp alertmanager-config: {target} left unchanged", file=sys.stderr)
        return 1
    if check:
        _report(checked)
    print(f"khp alertmanager-config: wrote {target}", file=sys.stderr)
    return 0


def check_config(path: Path, amtool: str = AMTOOL, shown_as: Path | None = None) -> bool:
    """Run ``amtool check-config path``; report on stderr. True if it passed or amtool is not installed."""
    checked = routing_check(path, amtool, shown_as)
    if checked.ok is False:
        print(f"khp alertmanager-config: amtool check-config rejected it:\n{checked.output}", file=sys.stderr)
        return False
    _report(checked)
    return True


def _report(checked: Checked) -> None:
    if checked.ok is None:
        print(f"khp alertmanager-config: {checked.output}", file=sys.stderr)
        return
    summary = checked.output.splitlines()[0] if checked.output else "ok"
    print(f"khp alertmanager-config: amtool check-config: {summary}", file=sys.stderr)
