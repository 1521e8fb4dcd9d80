"""Tuning hints from a planted history, each backtested over the same period on the planted metrics."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from evaluator import Monitor
from khp import _backtest
from khp.backtest import BURSTS, HEALS, Counts, HintRules, Override, PendingOverride, find_hints, tuning_hints
from khp.configuration import Config

from .helpers import START
from .planted_history import CACHE, SEGMENTS, UNTIL, events, plant


@pytest.fixture
def planted(project: Config) -> Config:
    plant(project)
    return project


def test_the_hints_the_history_gives(project: Config, druid: list[type[Monitor]]) -> None:
    hints = find_hints(events(), START, UNTIL, project, druid, 60.0)
    assert [(h.check, h.severity, h.reason) for h in hints] == [
        (CACHE, "warning", HEALS),
        (SEGMENTS, "warning", BURSTS),
    ]
    cache, segments = hints
    assert (cache.detected, cache.healed, cache.fired, cache.monitor) == (11, 10, 1, "DruidMonitor")
    assert cache.change == Override("druid_segment_cache_used_percent", "warning", 93.0)
    assert (cache.was, cache.fired_cut) == (85.0, 0)
    assert cache.suggestion == "druid_segment_cache_used_percent.warning: 85 -> 93"
    assert cache.why == "9% of 11 detected problems fired; the rest healed before their pending time"
    assert (segments.detected, segments.fired, segments.refired) == (4, 4, 3)
    assert segments.pending == PendingOverride(420.0, SEGMENTS)
    assert segments.current_pending == 300.0
    assert segments.suggestion == "pending of 'Unavailable segments': 5m -> 7m"


def test_each_suggestion_is_backtested(planted: Config, druid: list[type[Monitor]]) -> None:
    report = tuning_hints(planted, druid, START, UNTIL)
    cache, segments = report.hints
    assert cache.before == Counts(
        detected=11, healed=10, fired=1, resolved=1, problems_notified=1, notifications_sent=2, resolve_notifications=1
    )
    assert cache.after == Counts(
        detected=3, healed=2, fired=1, resolved=1, problems_notified=1, notifications_sent=2, resolve_notifications=1
    )
    assert segments.before == Counts(
        detected=4, fired=4, resolved=4, problems_notified=4, notifications_sent=8, resolve_notifications=4
    )
    assert segments.after == Counts(detected=4, healed=4)
    assert report.period is not None and report.period.count == 901
    assert report.events == len(events())


def test_rules_decide_what_is_noisy(project: Config, druid: list[type[Monitor]]) -> None:
    strict = HintRules(min_detected=20, min_refired=5)
    assert find_hints(events(), START, UNTIL, project, druid, 60.0, strict) == []
    few_values = HintRules(min_values=11)
    (cache, _segments) = find_hints(events(), START, UNTIL, project, druid, 60.0, few_values)
    assert cache.change is None
    assert cache.note == "fewer than 11 healed problems with a value on the default threshold"


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS)
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    sub = top.add_subparsers(dest="command", required=True)
    _backtest.add_parser(sub, common)
    return top.parse_args(["hints", *argv])


def test_the_hints_command(planted: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert _backtest.run(parse("--since", "15h"), planted, clock=lambda: UNTIL, stderr=io.StringIO()) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Tuning hints from the alert history 2026-11-29T10:00:00Z .. 2026-11-30T01:00:00Z, all clusters: 35 events",
        "each suggestion backtested 2026-11-29T10:00:00Z .. 2026-11-30T01:00:00Z every 1m (901 evaluations)",
        "",
        "1. Segment cache usage (warning, DruidMonitor): most heal before their pending time",
        "   9% of 11 detected problems fired; the rest healed before their pending time",
        "   suggestion: druid_segment_cache_used_percent.warning: 85 -> 93"
        " (by the values first seen: 0 of 1 fired problems below it)",
        "   backtest: detected 11 -> 3, fired 1 -> 1, problems notified 1 -> 1, notifications sent 2 -> 2",
        "",
        "2. Unavailable segments (warning, DruidMonitor): fires in bursts",
        "   3 of 4 firings came less than 1h after the same problem resolved",
        "   suggestion: pending of 'Unavailable segments': 5m -> 7m",
        "   backtest: detected 4 -> 4, fired 4 -> 0, problems notified 4 -> 0, notifications sent 8 -> 0",
    ]


def test_the_hints_command_as_json_without_backtest(planted: Config, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--since", "2026-11-29T10:00:00Z", "--until", str(UNTIL), "--no-backtest", "--json")
    assert _backtest.run(args, planted, stderr=io.StringIO()) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["backtest"] is None and shown["events"] == 35
    assert [(h["check"], h["suggestion"], h["before"]) for h in shown["hints"]] == [
        (CACHE, "druid_segment_cache_used_percent.warning: 85 -> 93", None),
        (SEGMENTS, "pending of 'Unavailable segments': 5m -> 7m", None),
    ]
    assert shown["hints"][0]["change"] == "druid_segment_cache_used_percent.warning=93"
    assert shown["hints"][1]["pending"] == 420.0


def test_no_history_no_hints(project: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert _backtest.run(parse("--since", "1h"), project, clock=lambda: UNTIL, stderr=io.StringIO()) == 0
    assert "no noisy check: nothing to suggest" in capsys.readouterr().out
