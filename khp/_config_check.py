"""``khp check-config``: every section of the configuration read as the services will read it.

khp check-config [--strict]

Loads ``khp.yml`` and the cluster files, then the receiver's settings, its token, its channels
(their secrets from the environment), the chat bot, the console, the history and the hints, and prints
one line per finding. Errors stop a service from starting; warnings are what runs but not as
one may think (a bot endpoint without its secret refuses everything). Exit codes: 0 no errors
(and, with ``--strict``, no warnings), 1 warnings with ``--strict``, 2 errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from khp.configuration import Config, ConfigError

from ._commands import help_of


def add_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``check-config [--strict]`` on the ``khp`` subcommands."""
    parser = sub.add_parser("check-config", parents=[common], help=help_of("check-config"))
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    return parser


def findings(config: Config, environ: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of ``config`` with the secrets in ``environ``."""
    errors: list[str] = []
    warnings: list[str] = []

    def check(step: Callable[[], object]) -> object:
        try:
            return step()
        except (ConfigError, ValueError, OSError) as exc:
            errors.append(str(exc))
            return None

    from kakao_receiver import receiver_settings
    from kakao_receiver._app import load_channels
    from kakao_receiver._settings import read_token
    from kakao_receiver.bot import bot_settings, secret_problems

    settings = check(lambda: receiver_settings(config))
    if settings is not None:
        check(lambda: read_token(settings, environ))  # type: ignore[arg-type]
        check(lambda: load_channels(config, settings, environ))  # type: ignore[arg-type]
    bot = check(lambda: bot_settings(config, environ))
    if bot is not None:
        warnings += secret_problems(bot, config.file or "khp.yml")  # type: ignore[arg-type]
    if config.components.get("console"):
        from khp.console import console_settings, secret_key

        console = check(lambda: console_settings(config))
        if console is not None:
            check(lambda: secret_key(console, environ))  # type: ignore[arg-type]
    from khp.backtest import hint_rules
    from khp.history import history_settings

    check(lambda: history_settings(config, environ))
    check(lambda: hint_rules(config))
    return errors, warnings


def run(args: argparse.Namespace, config: Config, environ: Mapping[str, str] | None = None) -> int:
    errors, warnings = findings(config, os.environ if environ is None else environ)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not errors and not warnings:
        print(f"{config.file}: every section reads as the services will read it")
    if errors:
        return 2
    return 1 if warnings and args.strict else 0
