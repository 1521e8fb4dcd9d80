"""``khp console``: its options, and refusals before gunicorn starts."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from khp import _console
from khp.configuration import load_config

from .helpers import ENVIRON, write_project


def parse(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    top = argparse.ArgumentParser(prog="khp")
    sub = top.add_subparsers(dest="command")
    _console.add_parser(sub, common)
    return top.parse_args(argv)


def test_options() -> None:
    args = parse(["console", "--listen", "0.0.0.0:9000", "--workers", "3"])
    assert (args.command, args.listen, args.workers) == ("console", "0.0.0.0:9000", 3)
    assert parse(["console"]).listen is None


def test_missing_secret_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(write_project(tmp_path / "p", "http://127.0.0.1:9"))
    assert _console.run(parse(["console"]), config, environ={}) == 2
    assert "console.secret_key_env" in capsys.readouterr().err


def test_bad_section_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(write_project(tmp_path / "p", "http://127.0.0.1:9", {"users": {}}))
    assert _console.run(parse(["console"]), config, environ=ENVIRON) == 2
    assert "console.users: no user can log in" in capsys.readouterr().err


def test_main_reports_a_bad_listen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path / "p", "http://127.0.0.1:9")
    monkeypatch.setenv("KHP_CONSOLE_SECRET", ENVIRON["KHP_CONSOLE_SECRET"])
    assert _console.main(["--config", str(path), "--listen", "nowhere"]) == 2
    assert "--listen: expected HOST:PORT" in capsys.readouterr().err
