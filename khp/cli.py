"""``khp``: the command line of khp-monitor.

Each subcommand lives in a module of its own that adds its arguments (``add_parser(sub, common)``)
and runs it (``function(args, config)``, named in ``khp._commands.COMMANDS``); this module imports
only the one that runs, so ``khp --help`` starts without loading the evaluator, the sources or
the store. A command whose parser sets ``config_optional`` runs without a khp.yml (it is given
``None`` and looks for one itself).

Nothing a user types or feeds in ends in a traceback: every known error is one line naming
what and where, with exit status 2; an error nobody foresaw is one line too (exit 70), with
the traceback only under ``KHP_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Iterable, Sequence

from ._commands import COMMANDS
from ._parsing import Parser, one_line

_CONFIG_HELP = "path of khp.yml (default: $KHP_CONFIG, else ./khp.yml)"
EXIT_USAGE = 2  # a bad argument, file, line, configuration or store: the message says which
EXIT_BUG = 70  # an error nobody foresaw (EX_SOFTWARE)


def _common() -> Parser:
    common = Parser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=_CONFIG_HELP)
    return common


def parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``khp`` parser with the arguments of ``commands`` (default: every one); the rest are only named."""
    wanted = set(COMMANDS if commands is None else commands)
    common = _common()
    top = Parser(prog="khp", description="Rule-based monitoring for fleets of big-data clusters.", parents=[common])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
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
    errors: tuple[type[BaseException], ...] = (ConfigError, UsageError, OSError, *_domain_errors())
    try:
        command = getattr(importlib.import_module(module), function)  # the heavy imports happen here
        config = None if getattr(args, "config_optional", False) else load(getattr(args, "config", None))
        return int(command(args, config))
    except errors as exc:
        print(f"khp {args.command}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line, and the traceback on request
        if os.environ.get("KHP_DEBUG"):
            traceback.print_exc()
        print(
            f"khp {args.command}: unexpected error {type(exc).__name__}: {_one_line(exc)}; this is a bug in khp,"
            " please report it with the traceback that KHP_DEBUG=1 prints",
            file=sys.stderr,
        )
        return EXIT_BUG


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    return one_line(text) or type(exc).__name__


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
