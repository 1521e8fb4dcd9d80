"""``khp stats`` through its ``add_parser`` and ``run``, as ``khp.cli`` wires them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from khp import _stats
from khp._common import UsageError
from khp.history import open_history, statistics_json
from tests.history.conftest import Clock, project_config
from tests.history.planted import START, seed_history
from tests.standins.elasticsearch import ElasticsearchStandIn

UNTIL = START + 1200 * 3600  # after the whole planted history


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS)
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    sub = top.add_subparsers(dest="command", required=True)
    _stats.add_parser(sub, common)
    return top.parse_args(["stats", *argv])


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    with open_history(project_config(tmp_path)) as history:
        history.record(seed_history())
    return tmp_path


def test_defaults() -> None:
    args = parse()
    assert (args.since, args.until, args.cluster, args.json) == ("7d", None, None, False)


def test_tables_show_the_seed_shares(planted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _stats.run(parse("--since", "60d"), project_config(planted), clock=Clock(UNTIL))
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "Noise ledger 2026-11-19T10:00:00Z .. 2027-01-18T10:00:00Z, all clusters: 2492 events, 0 operator actions"
    )
    assert lines[2].split()[:3] == ["problems", "detected", "1224"]
    assert lines[3].split() == ["notified", "to", "the", "warning", "room", "12", "0.98%"]
    assert lines[4].split() == ["notified", "to", "the", "critical", "room", "10", "0.82%"]
    assert "notifications sent: 22 (warning 12, critical 10)" in lines
    severity = lines.index("Alerts per severity (a critical problem raises its warning alert too)")
    header = lines[severity + 1].split()
    assert header[:7] == ["severity", "detected", "healed", "fired", "resolved", "open", "notified"]
    rows = {line.split()[0]: line.split() for line in lines[severity + 2 : severity + 5]}
    assert rows["warning"][1:] == ["100", "88", "12", "12", "0", "12", "12.00%", "12", "0", "2m"]
    assert rows["critical"][1:] == ["1124", "1114", "10", "10", "0", "10", "0.89%", "10", "0", "2m"]
    assert rows["all"][1] == "1224"
    by_check = lines.index("By check, most problems notified first")
    assert lines[by_check + 1].split() == ["check", "detected", "warning", "critical", "sent", "healed"]
    assert lines[by_check + 2].split() == ["Disk", "full", "100", "12", "0", "12", "88"]


def test_json_prints_the_same_figures_as_statistics_json(planted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project_config(planted)
    args = parse("--since", "2026-11-29T10:00:00Z", "--until", str(UNTIL), "--cluster", "beta", "--json")
    assert _stats.run(args, config) == 0
    shown = json.loads(capsys.readouterr().out)
    with open_history(config) as history:
        assert shown == statistics_json(history, START, UNTIL, "beta")
    assert shown["cluster"] == "beta"
    assert shown["by_severity"]["warning"]["detected"] == 50
    assert shown["by_severity"]["warning"]["share_notified"] == 0.12


def test_an_empty_history_prints_empty_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _stats.run(parse("--since", "1h"), project_config(tmp_path), clock=Clock(START)) == 0
    out = capsys.readouterr().out
    assert "0 events" in out and "cluster: no problems detected" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "last week"], "--since: 'last week' is neither a duration"),
        (["--until", "tomorrow"], "--until: 'tomorrow' is not a time"),
        (["--since", "2030-01-01T00:00:00Z"], "is not before --until"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _stats.run(parse(*argv), project_config(tmp_path), clock=Clock(START))


def test_an_unreadable_history_exits_1_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ElasticsearchStandIn() as es:
        es.outage = 503
        config = project_config(tmp_path, f"type: elasticsearch\nelasticsearch: {{url: '{es.url}', retries: 0}}")
        assert _stats.run(parse(), config, clock=Clock(START)) == 1
    error = capsys.readouterr().err
    assert error.startswith("khp stats: elasticsearch http://127.0.0.1:")
    assert "reading history events" in error and "503" in error
