"""``khp alertmanager-config``: prints or atomically writes the rendering, checks it with amtool."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest

from khp import _routing
from khp.configuration import Config
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AMTOOL

from .fleet import fleet_config

needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed")


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config")
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    _routing.add_parser(top.add_subparsers(dest="command", required=True), common)
    return top.parse_args(["alertmanager-config", *argv])


@pytest.fixture
def failing_amtool(tmp_path: Path) -> str:
    """An executable standing in for an amtool that rejects every file."""
    program = tmp_path / "bin" / "amtool"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\necho \"Checking '$2'  FAILED: bad route\"\nexit 1\n")
    program.chmod(0o755)
    return str(program)


def test_options() -> None:
    args = parse("--output", "am.yml", "--check")
    assert (args.command, args.output, args.check) == ("alertmanager-config", "am.yml", True)
    assert parse().output is None


def test_prints_the_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    config = fleet_config()
    assert _routing.run(parse(), config) == 0
    assert capsys.readouterr().out == render_alertmanager_yaml(config)


def test_writes_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "alertmanager.yml"
    assert _routing.run(parse("--output", str(target)), fleet_config()) == 0
    assert target.read_text(encoding="utf-8") == render_alertmanager_yaml(fleet_config())
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["alertmanager.yml"]


def test_rewriting_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "alertmanager.yml"
    target.write_text("old\n")
    target.chmod(0o640)
    assert _routing.run(parse("--output", str(target)), Config()) == 0
    assert target.read_text(encoding="utf-8") == render_alertmanager_yaml(Config())
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@needs_amtool
def test_check_passes_with_the_real_amtool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "alertmanager.yml"
    assert _routing.run(parse("--output", str(target), "--check"), fleet_config()) == 0
    assert target.exists()
    assert f"Checking '{target}'  SUCCESS" in capsys.readouterr().err


@needs_amtool
def test_check_without_output_still_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert _routing.run(parse("--check"), fleet_config()) == 0
    captured = capsys.readouterr()
    assert captured.out == render_alertmanager_yaml(fleet_config())
    assert "SUCCESS" in captured.err


def test_a_rejected_config_leaves_the_file_unchanged(
    tmp_path: Path, failing_amtool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "alertmanager.yml"
    target.parent.mkdir()
    target.write_text("old\n")
    assert _routing.run(parse("--output", str(target), "--check"), fleet_config(), amtool=failing_amtool) == 1
    assert target.read_text() == "old\n"
    assert os.listdir(target.parent) == ["alertmanager.yml"]
    err = capsys.readouterr().err
    assert f"Checking '{target}'  FAILED: bad route" in err
    assert "left unchanged" in err


def test_a_rejected_config_is_not_printed(failing_amtool: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _routing.run(parse("--check"), fleet_config(), amtool=failing_amtool) == 1
    assert capsys.readouterr().out == ""


def test_without_amtool_the_check_is_skipped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "alertmanager.yml"
    assert _routing.run(parse("--output", str(target), "--check"), fleet_config(), amtool=str(tmp_path / "none")) == 0
    assert target.exists()
    assert "not found, not checked" in capsys.readouterr().err
