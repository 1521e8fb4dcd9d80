"""``khp alertmanager-config``: render ``alertmanager.yml`` from the khp config, write it, check it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from khp.configuration import Config
from khp.routing import render_alertmanager_yaml

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
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    candidate = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # Alertmanager runs as its own user and the file holds no secrets: keep the old mode, else 0644.
        os.chmod(candidate, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        if check and not check_config(candidate, amtool, shown_as=target):
            print(f"khp alertmanager-config: {target} left unchanged", file=sys.stderr)
            return 1
        os.replace(candidate, target)
    finally:
        candidate.unlink(missing_ok=True)
    print(f"khp alertmanager-config: wrote {target}", file=sys.stderr)
    return 0


def check_config(path: Path, amtool: str = AMTOOL, shown_as: Path | None = None) -> bool:
    """Run ``amtool check-config path``; report on stderr. True if it passed or amtool is not installed."""
    program = shutil.which(amtool)
    if program is None:
        print(
            f"khp alertmanager-config: {amtool} not found, not checked "
            "(Debian package 'prometheus-alertmanager' installs it)",
            file=sys.stderr,
        )
        return True
    try:
        done = subprocess.run(
            [program, "check-config", str(path)], capture_output=True, text=True, timeout=_CHECK_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"khp alertmanager-config: {program} check-config took over {_CHECK_TIMEOUT:g}s", file=sys.stderr)
        return False
    output = (done.stdout + done.stderr).strip()
    if shown_as is not None:
        output = output.replace(str(path), str(shown_as))
    if done.returncode != 0:
        print(f"khp alertmanager-config: amtool check-config rejected it:\n{output}", file=sys.stderr)
        return False
    summary = output.splitlines()[0] if output else "ok"
    print(f"khp alertmanager-config: amtool check-config: {summary}", file=sys.stderr)
    return True
