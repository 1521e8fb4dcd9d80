"""``khp test FILE...``: run rule test files (given series, expected problems) and print a diff on failure."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from evaluator import EvaluatorError
from khp.configuration import Config, ConfigError
from khp.ruletests import read_rule_file, report, run_rule_file
from khp.store import StoreError

from ._commands import help_of
from ._common import UsageError, plural
from ._parsing import EpilogFormatter, one_line

EPILOG = """A test file gives series of metrics, log lines and process states sample by sample, and the
problems expected at given times (README: "Rule tests"). Each test runs on a fresh embedded store
through the real evaluator; a failure prints the expected (-) and found (+) problems.

exit status:
  0  every test passed
  1  a test failed
  2  a test file could not be read or names a monitor that does not exist (the message says where)"""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``test FILE...`` on the ``khp`` subcommands."""
    parser = sub.add_parser(
        "test", parents=[common], help=help_of("test"), epilog=EPILOG, formatter_class=EpilogFormatter
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="rule test files (YAML), or directories of them")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="list every evaluation, and the traceback of a monitor that fails"
    )
    parser.set_defaults(config_optional=True)  # each test file carries its configuration


def run(args: argparse.Namespace, config: Config | None) -> int:
    """Run each file; 0 when every test passed, 1 when one failed, 2 when a file could not be run."""
    out = sys.stdout
    failed = unreadable = evaluations = 0
    with contextlib.redirect_stdout(sys.stderr):  # what a monitor prints is not the report
        for file in _files(args.files):
            try:
                outcomes = run_rule_file(read_rule_file(file))
            except (ConfigError, EvaluatorError, StoreError, OSError) as exc:
                print(one_line(f"{file}: cannot run it: {exc}"), file=out)
                unreadable += 1
                continue
            evaluations += len(outcomes)
            failed += sum(1 for outcome in outcomes if not outcome.passed)
            for line in report(str(file), outcomes, verbose=args.verbose):
                print(line, file=out)
    summary = f"{plural(evaluations, 'evaluation')}, {failed} failed"
    if unreadable:
        summary += f"; {plural(unreadable, 'file')} could not be run"
    print(summary, file=out)
    if unreadable:
        return 2
    return 1 if failed else 0


def _files(names: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
            if not found:
                raise UsageError(f"{name}: no rule test files (*.yml) in this directory")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{name}: no such file or directory")
    return files
