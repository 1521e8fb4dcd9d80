"""The ``khp`` command registry: every command is wired, and ``khp --help`` loads none of them."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from khp._commands import COMMANDS
from khp.cli import parser


def subcommands(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_added_by_its_module_with_its_registered_help(name: str) -> None:
    top = parser([name])
    assert subcommands(top)[name].add_help, f"{COMMANDS[name][0]} did not add {name!r}"
    (action,) = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    assert helps[name] == COMMANDS[name][1]


def test_the_command_functions_exist() -> None:
    import importlib

    for name, (target, _help) in COMMANDS.items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name


def test_help_lists_every_command_without_importing_any() -> None:
    code = (
        "import sys\n"
        "from khp.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('evaluator', 'khp.sources', 'khp.store', 'khp.configuration', 'yaml')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout
    for name in COMMANDS:
        assert f"    {name}" in done.stdout


def test_a_command_after_config_is_found() -> None:
    from khp.cli import _command_in

    assert _command_in(["--config", "x.yml", "check", "--json"]) == "check"
    assert _command_in(["--config=x.yml", "stats"]) == "stats"
    assert _command_in(["--help"]) is None
    assert _command_in(["nosuch"]) is None


def every_parser(top: argparse.ArgumentParser, name: str = "khp") -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, top)]
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child, parser in action.choices.items():
                found.extend(every_parser(parser, f"{name} {child}"))
    return found


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_help_that_shows_its_default(command: str) -> None:
    for name, one in every_parser(parser_of(command)):
        formatter = one._get_formatter()
        for action in one._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            option = action.option_strings[-1]
            assert action.help, f"{name} {option} has no help"
            shown = formatter._expand_help(action)
            if action.default not in (None, False, [], argparse.SUPPRESS):
                assert "default" in shown, f"{name} {option} does not show its default {action.default!r}: {shown}"


def parser_of(command: str) -> argparse.ArgumentParser:
    return subcommands(parser([command]))[command]


def test_defaults_are_written_out_in_help() -> None:
    text = parser_of("cycles").format_help()
    assert "how many of the latest cycles to show (default: 10)" in " ".join(text.split())
    simulate = " ".join(parser_of("simulate").format_help().split())
    assert "--clusters CLUSTERS number of clusters, 1 to 1000 (default: 20)" in simulate
    assert "--step STEP time between samples (default: 1m)" in simulate
