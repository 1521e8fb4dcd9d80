"""``khp``: the command line of khp-monitor.

Each subcommand lives in a module of its own that adds its arguments (``add_parser(sub, common)``)
and runs it (``function(args, config)``, named in ``khp._commands.COMMANDS``); this module imports
only the one that runs, so ``khp --help`` starts without loading the evaluator, the sources or
the store.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence

from ._commands import COMMANDS

_CONFIG_HELP = "path of khp.yml (default: $KHP_CONFIG, else ./khp.yml)"


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=_CONFIG_HELP)
    return common


def parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``khp`` parser with the arguments of ``commands`` (default: every one); the rest are only named."""
    wanted = set(COMMANDS if commands is None else commands)
    common = _common()
    top = argparse.ArgumentParser(
        prog="khp", description="Rule-based monitoring for fleets of big-data clusters.", parents=[common]
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = {target.split(":")[0] for name, (target, _help) in COMMANDS.items() if name in wanted}
    for module in sorted(modules, key=_first_position):
        importlib.import_module(module).add_parser(sub, common)
    for name, (_target, help) in COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, parents=[common], help=help, add_help=False)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    named = _command_in(argv)
    args = parser([named] if named else []).parse_args(argv)
    from ._common import UsageError, load
    from .configuration import ConfigError

    module, function = COMMANDS[args.command][0].split(":")
    command = getattr(importlib.import_module(module), function)  # the heavy imports happen here
    errors: tuple[type[BaseException], ...] = (ConfigError, UsageError, OSError, *_domain_errors())
    try:
        return int(command(args, load(getattr(args, "config", None))))
    except errors as exc:
        print(f"khp {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (skipping ``--config FILE``), if it is one of ``COMMANDS``."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--config":
            skip = True
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _first_position(module: str) -> int:
    """Where ``module``'s first command stands in ``COMMANDS`` (so ``khp --help`` lists them in that order)."""
    return next(i for i, (target, _help) in enumerate(COMMANDS.values()) if target.startswith(f"{module}:"))


def _domain_errors() -> tuple[type[BaseException], ...]:
    from evaluator import EvaluatorError
    from khp.sources import SourceError
    from khp.store import StoreError

    return (EvaluatorError, StoreError, SourceError)


if __name__ == "__main__":
    sys.exit(main())
