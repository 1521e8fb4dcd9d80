"""How ``khp``'s parsers show help: every option with its default; epilogs (exit statuses) as written.

Kept free of heavy imports: ``khp --help`` uses it.
"""

from __future__ import annotations

import argparse
from typing import Any


class HelpFormatter(argparse.HelpFormatter):
    """Shows an option's default after its help, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        return with_default(action)


class EpilogFormatter(argparse.RawDescriptionHelpFormatter):
    """Like ``HelpFormatter``, and keeps the description and epilog (a table of exit statuses) as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        return with_default(action)


def with_default(action: argparse.Action) -> str:
    """The help of ``action``, ending with its default when it has one worth saying."""
    text = action.help or ""
    default = action.default
    if (
        not action.option_strings
        or "default" in text.lower()
        or default is None
        or default is False
        or default is argparse.SUPPRESS
        or default == []
    ):
        return text
    return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """``khp``'s parsers, down to the sub-subcommands: every one shows defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def one_line(text: str) -> str:
    """``text`` as one printable line: a newline, tab or other control character is shown escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
