"""The noise ledger on a simulated week with known counts per reason, through the history and ``khp stats``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from khp import _stats
from khp.history import REASONS, HistoryEvent, open_history, statistics
from tests.history.conftest import Clock, project_config
from tests.history.planted_week import START, UNTIL, planted_week

WEEK, PLANTED = planted_week()


def test_of_all_problems_the_share_notified_to_each_room_and_why_the_rest_were_not() -> None:
    ledger = statistics(WEEK, START, UNTIL).ledger
    total = ledger.total
    assert total.detected == PLANTED.detected == 821
    assert total.problems_notified == {
        "warning": PLANTED.warning_room,
        "critical": PLANTED.critical_room,
        "any": PLANTED.warning_room + PLANTED.critical_room - 3,  # 3 escalated problems reached both rooms
    }
    assert total.share_notified["warning"] == pytest.approx(84 / 821)
    assert total.share_notified["critical"] == pytest.approx(10 / 821)
    assert dict(total.not_notified) == PLANTED.reasons
    assert total.detected == total.problems_notified["any"] + sum(total.not_notified.values())
    assert total.notifications_sent == {
        "warning": PLANTED.warning_messages,
        "critical": PLANTED.critical_messages,
        "total": PLANTED.warning_messages + PLANTED.critical_messages,
    }
    assert ledger.flapping_started == PLANTED.flapping_started


def test_per_severity_alerts_show_the_inhibited_warnings_the_problems_hide() -> None:
    stats = statistics(WEEK, START, UNTIL)
    warning, critical = stats.by_severity["warning"], stats.by_severity["critical"]
    assert warning.not_notified["inhibited"] == PLANTED.inhibited_warnings == 7
    assert critical.detected == 120 + 7 + 3 + 10 + 5
    assert warning.detected + critical.detected == stats.total.detected
    assert stats.total.detected > stats.ledger.total.detected  # criticals counted again as alerts
    assert critical.problems_notified == 10 and critical.notifications_sent == PLANTED.critical_messages


def test_rows_per_check_and_cluster_are_sorted_to_show_what_to_tune() -> None:
    ledger = statistics(WEEK, START, UNTIL).ledger
    checks = [(row.name, row.problems_notified["any"]) for row in ledger.by_check]
    assert checks == [("Disk space low", 80), ("Dead DataNodes", 7), ("Task slot usage", 4), ("CPU usage", 0)]
    disk = ledger.by_check[0]
    assert disk.not_notified["maintenance"] == 45 and disk.not_notified["muted"] == 25
    assert ledger.by_check[2].not_notified["flapping"] == 12
    notified = [row.problems_notified["any"] for row in ledger.by_cluster]
    assert notified == sorted(notified, reverse=True)
    assert sum(row.detected for row in ledger.by_cluster) == PLANTED.detected
    one = statistics(WEEK, START, UNTIL, cluster="c03").ledger
    assert one.total.detected == next(row.detected for row in ledger.by_cluster if row.name == "c03")


def test_a_message_mentioning_a_problem_only_as_resolved_does_not_count_as_notifying_it() -> None:
    labels = {"alertname": "CPU usage", "monitor": "HostMonitor", "cluster": "c1", "host": "h", "severity": "warning"}
    events = [
        HistoryEvent.for_labels(START, "detected", labels),
        HistoryEvent.for_labels(START + 300, "fired", labels),
        HistoryEvent.for_labels(START + 330, "resolved", labels),
        HistoryEvent.for_labels(START + 340, "notified", labels, room="1", detail="resolved notification a1"),
    ]
    ledger = statistics(events, START, START + 3600).ledger
    assert ledger.total.problems_notified["any"] == 0
    assert ledger.total.not_notified["grouped"] == 1
    assert ledger.total.notifications_sent["total"] == 1
    # a notification recorded before the receiver said the alert's status counts as firing
    older = [*events[:3], HistoryEvent.for_labels(START + 340, "notified", labels, room="1", detail="notification a1")]
    assert statistics(older, START, START + 3600).ledger.total.problems_notified["any"] == 1


def test_one_message_to_two_rooms_is_two_notifications_sent_and_one_problem_notified() -> None:
    labels = {"alertname": "CPU usage", "monitor": "HostMonitor", "cluster": "c1", "host": "h", "severity": "critical"}
    events = [
        HistoryEvent.for_labels(START, "detected", labels),
        HistoryEvent.for_labels(START + 300, "fired", labels),
        *(
            HistoryEvent.for_labels(START + 330, "notified", labels, room=room, detail="firing notification n7")
            for room in ("10002", "oncall")
        ),
    ]
    ledger = statistics(events, START, START + 3600).ledger
    assert ledger.total.problems_notified == {"warning": 0, "critical": 1, "any": 1}
    assert ledger.total.notifications_sent == {"warning": 0, "critical": 2, "total": 2}


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    top = argparse.ArgumentParser(prog="khp", parents=[common])
    _stats.add_parser(top.add_subparsers(dest="command", required=True), common)
    return top.parse_args(["stats", *argv])


def test_khp_stats_reads_the_week_from_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project_config(tmp_path)
    with open_history(config) as history:
        history.record(WEEK)
    assert _stats.run(parse("--since", "7d", "--json"), config, clock=Clock(UNTIL)) == 0
    shown = json.loads(capsys.readouterr().out)["ledger"]
    assert shown["detected"] == PLANTED.detected
    assert shown["problems_notified"] == {"warning": 84, "critical": 10, "any": 91}
    assert shown["not_notified"] == PLANTED.reasons and list(shown["not_notified"]) == list(REASONS)
    assert shown["notifications_sent"]["total"] == PLANTED.warning_messages + PLANTED.critical_messages
    assert shown["by_check"][0]["check"] == "Disk space low"

    assert _stats.run(parse("--since", "7d"), config, clock=Clock(UNTIL)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:3] == ["problems", "detected", "821"]
    assert lines[3].split()[-2:] == ["84", "10.23%"]
    assert lines[4].split()[-2:] == ["10", "1.22%"]
    shown_reasons = {" ".join(line.split()[:-2]): line.split()[-2] for line in lines[6:16] if line.startswith("    ")}
    assert shown_reasons == {
        "healed while pending": "620",
        "maintenance": "45",
        "muted (CRI/OFF)": "25",
        "other silence": "6",
        "grouped (healed before its group was sent)": "15",
        "flapping (held under one notification)": "12",
        "delivery failed": "4",
        "still pending at the end": "2",
        "fired, not notified yet": "1",
    }
