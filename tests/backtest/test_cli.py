"""``khp backtest`` through its ``add_parser`` and ``run``, as ``khp.cli`` wires them."""

from __future__ import annotations

import argparse
import io
import json
import re

import pytest

from evaluator import Monitor, MonitorLoadError
from khp import _backtest
from khp._common import UsageError
from khp.backtest import render_report, run_backtest
from khp.configuration import Config

from .helpers import START, plant_faults, slots_full

END = START + 3 * 3600
NOW = END  # "now" when the command runs: --from 3h covers START .. END


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS)
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    sub = top.add_subparsers(dest="command", required=True)
    _backtest.add_parser(sub, common)
    return top.parse_args(argv)


def clock() -> float:
    return NOW


@pytest.fixture
def planted(project: Config) -> Config:
    plant_faults(project, [slots_full(START + 1800, 180), slots_full(START + 3600, 5400)], START, END)
    return project


def test_defaults() -> None:
    args = parse("backtest")
    assert (args.monitors, args.start, args.until, args.step, args.cluster, args.overrides, args.pending) == (
        [],
        "7d",
        None,
        None,
        [],
        [],
        [],
    )
    assert (args.json, args.progress) == (False, False)
    hints = parse("hints")
    assert (hints.since, hints.until, hints.cluster, hints.no_backtest, hints.json) == ("7d", None, None, False, False)


def test_the_table_shows_current_and_candidate_side_by_side(
    planted: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("backtest", "DruidMonitor", "--from", "3h", "--set", "druid_slot_used_percent.warning=99")
    assert _backtest.run(args, planted, clock=clock, stderr=io.StringIO()) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "Backtest 2026-11-29T10:00:00Z .. 2026-11-29T13:00:00Z every 1m: 181 evaluations of DruidMonitor, all clusters"
    )
    assert lines[1] == "candidate: druid_slot_used_percent.warning=99 (now 80)"
    assert lines[3].split() == ["|", "current", "|", "candidate"]
    assert lines[4].split() == [
        "check",
        "cluster",
        "severity",
        "|",
        "detected",
        "fired",
        "notified",
        "sent",
        "|",
        "detected",
        "fired",
        "notified",
        "sent",
    ]
    row = ["Task", "slot", "usage", "druid-002", "warning", "|", "2", "1", "1", "2", "|", "0", "0", "0", "0"]
    assert lines[6].split() == row
    assert lines[8].split() == ["total", "|", "2", "1", "1", "2", "|", "0", "0", "0", "0"]
    assert "notified: problems notified (alerts in a notification while firing); sent: notifications sent." in out
    assert "timings (group_wait/group_interval/repeat_interval): (default) 30s/5m/4h" in out


def test_the_output_is_render_report_of_run_backtest(
    planted: Config, druid: list[type[Monitor]], capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("backtest", "--until", str(END), "--from", "2026-11-29T10:00:00Z", "--step", "1m")
    assert _backtest.run(args, planted, stderr=io.StringIO()) == 0
    expected = render_report(run_backtest(planted, druid, START, END, 60.0))
    assert capsys.readouterr().out == expected


def test_json(planted: Config, druid: list[type[Monitor]], capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("backtest", "--from", "3h", "--set", "druid_slot_used_percent.warning=null", "--json")
    assert _backtest.run(args, planted, clock=clock, stderr=io.StringIO()) == 0
    shown = json.loads(capsys.readouterr().out)
    report = run_backtest(planted, druid, START, NOW, 60.0, ["druid_slot_used_percent.warning=null"])
    expected = report.as_json()
    shown.pop("seconds"), expected.pop("seconds")
    assert shown == expected
    assert shown["total"]["current"]["fired"] == 1 and shown["total"]["candidate"]["fired"] == 0


def test_a_progress_bar_only_when_asked_or_on_a_terminal(planted: Config, capsys: pytest.CaptureFixture[str]) -> None:
    quiet = io.StringIO()
    assert _backtest.run(parse("backtest", "--from", "1h"), planted, clock=clock, stderr=quiet) == 0
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    assert _backtest.run(parse("backtest", "--from", "1h", "--progress"), planted, clock=clock, stderr=shown) == 0
    assert re.fullmatch(r"(\rbacktest \[[# ]{30}\] +\d+% [\d,]+/61  \w+ elapsed, ~\w+ left )+\n", shown.getvalue())
    assert "[##############################] 100% 61/61" in shown.getvalue()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    assert _backtest.run(parse("backtest", "--from", "1h"), planted, clock=clock, stderr=terminal) == 0
    assert "61/61" in terminal.getvalue()
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--set", "druid_slot.warning=85"],
            "--set 'druid_slot.warning=85': no threshold 'druid_slot' in {file} (did you mean"
            " 'druid_slot_used_percent'?); valid keys:"
            " druid_failed_queries, druid_failed_tasks, druid_kafka_lag, druid_pending_tasks,"
            " druid_segment_cache_used_percent, druid_slot_used_percent, druid_unavailable_segments",
        ),
        (
            ["--set", "druid_slot_used_percent.major=85"],
            "--set 'druid_slot_used_percent.major=85': no level 'major'; valid levels: warning, critical",
        ),
        (["--pending", "Slots=1h"], "--pending 'Slots=1h': no check 'Slots' in these monitors; valid checks:"),
        (["--from", "yesterday"], "--from: 'yesterday' is neither a duration ('7d', '12h') nor a time"),
        (["--until", "soon"], "--until: 'soon' is not a time"),
        (["--from", "2026-12-01T00:00:00Z"], "--from: 2026-12-01T00:00:00Z is not before --until"),
        (["--step", "0s"], "--step: a positive duration"),
        (["--step", "often"], "--step: 'often' is not a duration"),
    ],
)
def test_bad_options_are_usage_errors(planted: Config, argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as error:
        _backtest.run(parse("backtest", *argv), planted, clock=clock, stderr=io.StringIO())
    assert str(error.value).startswith(message.format(file=planted.file))


def test_an_unknown_monitor_lists_the_known_ones(planted: Config) -> None:
    with pytest.raises(MonitorLoadError, match="no monitor named 'Kudu'; known: DruidMonitor"):
        _backtest.run(parse("backtest", "Kudu"), planted, clock=clock, stderr=io.StringIO())
