"""A stand-in ``khp`` with only the silence commands, wired as khp/cli.py wires them.

``python -m tests.silences.cli_harness maintenance list`` runs it in a process of its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from khp import _common, _silences


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS)
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _silences.add_parser(sub, common)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    config = _common.load(getattr(args, "config", None))
    return _silences.run(args, config)


if __name__ == "__main__":
    sys.exit(main())
