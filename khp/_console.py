"""``khp console``: the web console under gunicorn, in this process (gunicorn's own API).

khp console [--listen 127.0.0.1:8081] [--workers N]

``--listen`` and ``--workers`` default to ``console.listen`` and ``console.workers``. The
settings and the secret key are checked before gunicorn starts, so a bad ``console:`` section
is one line on stderr and exit code 2; gunicorn's exit code is returned otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from khp.configuration import Config, ConfigError

from ._commands import help_of
from ._common import UsageError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``console [--listen HOST:PORT] [--workers N]`` on the ``khp`` subcommands."""
    parser = sub.add_parser("console", parents=[common], help=help_of("console"))
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="where to serve (default: console.listen, 127.0.0.1:8081)"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="gunicorn worker processes (default: console.workers)")
    return parser


def run(args: argparse.Namespace, config: Config, environ: Mapping[str, str] | None = None) -> int:
    """Check the settings, then serve until gunicorn stops; its exit code."""
    from khp.console import console_settings, secret_key

    environ = os.environ if environ is None else environ
    try:
        settings = console_settings(config)
        secret_key(settings, environ)
    except ConfigError as exc:
        print(f"khp console: {exc}", file=sys.stderr)
        return 2
    listen = args.listen or settings.listen
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--listen: expected HOST:PORT like 127.0.0.1:8081, got {listen!r}")
    from khp.console._settings import trusted_header_problem

    problem = trusted_header_problem(settings.trusted_header, settings.trusted_proxies, listen)
    if problem:
        print(f"khp console: --listen {listen}: console.trusted_header {problem}", file=sys.stderr)
        return 2
    workers = args.workers or settings.workers
    if workers < 1:
        raise UsageError(f"--workers: at least 1, got {workers}")
    options = {
        "bind": listen,
        "workers": workers,
        "worker_class": "sync",
        "threads": 4,
        "timeout": 120,  # a backtest from the cluster page runs in the request
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "khp-console",
        "control_socket_disable": True,  # else every gunicorn master shares ~/.gunicorn/gunicorn.ctl
        "raw_env": [f"KHP_CONFIG={os.path.abspath(config.file)}"] if config.file else [],
    }
    return serve(lambda: _app(config.file), options)


def _app(file: str) -> Any:
    from khp.console import create_app

    return create_app(file or None)


def serve(load: Callable[[], Any], options: Mapping[str, Any]) -> int:
    """Run gunicorn with ``options`` (its setting names); ``load`` builds the app in each worker."""
    from gunicorn.app.base import BaseApplication

    class Console(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                if name in self.cfg.settings:
                    self.cfg.set(name, value)

        def load(self) -> Any:
            return load()

    try:
        Console().run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m khp._console``: this command on its own, until ``khp console`` is wired into ``khp``."""
    from ._common import load

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None, help="path of khp.yml (default: $KHP_CONFIG, else ./khp.yml)")
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    sub = top.add_subparsers(dest="command", required=True)
    add_parser(sub, common)
    args = top.parse_args(["console", *(argv if argv is not None else sys.argv[1:])])
    try:
        return run(args, load(args.config))
    except (ConfigError, UsageError, OSError) as exc:
        print(f"khp console: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
