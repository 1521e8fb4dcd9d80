"""``khp monitors``: the monitors found, where they live, and the thresholds their checks use.

``khp monitors --markdown`` prints the check catalog instead (``docs/checks.md``).
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from evaluator import load_error, load_monitors, select, threshold_keys
from khp.configuration import Config

from ._catalog import catalog_markdown
from ._commands import help_of


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``monitors [NAME...]`` on the ``khp`` subcommands."""
    monitors = sub.add_parser("monitors", parents=[common], help=help_of("monitors"))
    monitors.add_argument("names", nargs="*", metavar="NAME", help="only these monitors (class or module name)")
    monitors.add_argument(
        "--markdown",
        action="store_true",
        help="print the check catalog: each check's levels, thresholds, reads, meaning and first action",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    """List the monitors, one line each, with the warning and critical value of every threshold they use.

    A monitor that cannot be loaded is listed with the reason; the exit status is then 1.
    """
    monitors = load_monitors(config)
    if args.names:
        monitors = select(monitors, args.names)
    if args.markdown:
        print(catalog_markdown(monitors, config.thresholds, Path(config.file).parent), end="")
        return 0
    broken = 0
    for monitor in monitors:
        error = load_error(monitor)
        if error is not None:
            broken += 1
            print(f"{monitor.monitor_name():22} CANNOT BE LOADED: {error}")
            continue
        doc = (inspect.getdoc(monitor) or "").splitlines()[0:1]
        print(f"{monitor.monitor_name():22} {inspect.getsourcefile(monitor)}  {doc[0] if doc else ''}")
        for key in sorted(threshold_keys(monitor)):
            level = config.thresholds[key]
            print(f"    {key}: warning={level.warning} critical={level.critical}")
    return 1 if broken else 0
