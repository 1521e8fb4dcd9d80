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
