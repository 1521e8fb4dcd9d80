"""``khp lint [PATH...]``: check monitor files and the configuration, for the CI of a rules repository."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from evaluator import BUNDLED_DIR, lint
from evaluator._discovery import monitor_files
from khp.configuration import Config, ConfigError, monitor_defaults

from ._commands import help_of
from ._common import UsageError, optional_config, plural
from ._parsing import EpilogFormatter, one_line

EPILOG = """Each monitor file is loaded (imports, threshold declarations, every threshold key it uses is
defined), read (no check name emitted twice, no query emitted without a comparison) and run once
against an empty store (no misspelt method, metric path or process state). The configuration is
khp.yml and its cluster files (--config, $KHP_CONFIG, else ./khp.yml if there is one).

exit status:
  0  everything is valid
  1  problems found: each is printed as FILE:LINE: message
  2  usage error (a PATH that does not exist)"""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``lint [PATH...]`` on the ``khp`` subcommands."""
    parser = sub.add_parser(
        "lint", parents=[common], help=help_of("lint"), epilog=EPILOG, formatter_class=EpilogFormatter
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="monitor files or directories (default: the monitor directories of the configuration)",
    )
    parser.add_argument("--no-run", action="store_true", help="only load and read the files; do not run the monitors")
    parser.set_defaults(config_optional=True)


def run(args: argparse.Namespace, config: Config | None) -> int:
    """Lint the files named (or the configuration's monitors) and print each finding; 1 if there is one."""
    findings: list[str] = []
    try:
        config = optional_config(getattr(args, "config", None))
    except ConfigError as exc:
        findings.append(str(exc))
        config = None
    files = _files(args.paths, config)
    if not files and not findings:
        raise UsageError("no monitor files to check: name them (khp lint monitors/) or give a khp.yml")
    effective = _effective(config, files)
    result = lint(files, effective, run=not args.no_run)
    findings.extend(str(finding) for finding in result.findings)
    for line in findings:
        print(one_line(line))
    about = f"{plural(len(result.monitors), 'monitor')} in {plural(len(files), 'file')}"
    if config is not None:
        about += f" with {config.file}"
    if findings:
        print(f"{plural(len(findings), 'problem')} in {about}")
        return 1
    print(f"ok: {about}")
    return 0


def _files(paths: list[str], config: Config | None) -> list[Path]:
    if not paths:
        return [file for directory in (config.monitors if config else ()) for file in monitor_files(directory)]
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            files.extend(monitor_files(path))
        elif path.is_file() and path.suffix == ".py":
            files.append(path)
        elif path.exists():
            raise UsageError(f"{text}: not a monitor file (*.py) or a directory of them")
        else:
            raise UsageError(f"{text}: no such file or directory")
    return list(dict.fromkeys(file.resolve() for file in files))


def _effective(config: Config | None, files: list[Path]) -> Config:
    """The configuration to check ``files`` against: its thresholds plus what the files themselves declare.

    With no khp.yml, the bundled monitors' defaults are known too (``monitors: [bundled]`` is the default).
    """
    base = config or Config(file="(no khp.yml)", monitors=(BUNDLED_DIR,))
    dirs = list(base.monitors) + sorted({file.parent for file in files}, key=str)
    thresholds = dict(monitor_defaults(dirs).thresholds)
    thresholds.update(base.thresholds)  # khp.yml's levels on top of every declaration
    return dataclasses.replace(base, thresholds=thresholds)
