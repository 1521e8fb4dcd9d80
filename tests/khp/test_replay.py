"""``khp replay``: the history of a simulated period, checked against a count made from the data."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from khp.configuration import format_time
from khp.simulator import Fault, Fleet, simulate, step_times
from khp.store import Store

from .helpers import khp

AT = 1795946400.0  # 2026-11-29T10:00:00Z
SINCE = AT - 6 * 3600
PENDING_STEPS = 3  # pending 3m at 1m steps: a problem fires at its fourth evaluation in a row
ROOMS = 2  # warning rooms
USED, TOTAL = "taskSlot.used.count", "taskSlot.total.count"
DRUID = ("druid-002", "druid-007")


@pytest.fixture
def replayed(tmp_path: Path) -> Path:
    """Six simulated hours of two Druid clusters' task slots, in a project whose one monitor warns above 40%."""
    (tmp_path / "monitors").mkdir()
    (tmp_path / "khp.yml").write_text(
        textwrap.dedent(
            """
            store: var/khp.db
            monitors: [monitors]
            evaluation: {interval: 1m, window: 10m, pending: 3m}
            alertmanager: {urls: ["http://127.0.0.1:9"]}
            routing:
              receiver_url: http://127.0.0.1:8080/alertmanager
              channels: {warning: ["kakaowork:100", "kakaotalk:ops"], critical: ["kakaowork:200"]}
              group_wait: 1s
              group_interval: 1m
              repeat_interval: 100h
            flapping: {changes: 0}
            thresholds:
              druid_slot_used_percent: {warning: 40, critical: null}
            """
        )
    )
    (tmp_path / "monitors" / "slots.py").write_text(
        textwrap.dedent(
            '''
            from evaluator import Monitor


            class SlotMonitor(Monitor):
                """Druid overlord task slots."""

                def run(self):
                    used = self.max("druid/overlord/taskSlot.used.count") / \\
                           self.max("druid/overlord/taskSlot.total.count") * 100
                    self.emit("Task slot usage", warning=used > self.w("druid_slot_used_percent"),
                              description="Task slot usage above threshold")
            '''
        )
    )
    # Near the end druid-002's load brings it around 40%, on and off: problems that heal while
    # pending and ones that fire; a fault fills its slots for 25 minutes and druid-007's for 7.
    faults = [
        Fault("druid_slots_full", "druid-002", AT - 5 * 3600, 1500, intensity=0.5),
        Fault("druid_slots_full", "druid-007", AT - 2 * 3600 + 30, 420, intensity=0.2),
    ]
    fleet = Fleet(clusters=7, seed=5, fault_rate=0, faults=faults)
    paths = [f"druid/overlord/{name}" for name in (USED, TOTAL)]
    simulate(Store(tmp_path / "var" / "khp.db"), fleet, SINCE - 600, AT, clusters=DRUID, metric_paths=paths)
    return tmp_path


@dataclass
class Count:
    detected: int = 0
    healed: int = 0
    fired: int = 0
    resolved: int = 0
    open: int = 0


@dataclass
class Sent:
    problems: int = 0  # problems a firing notification was sent about
    notifications: int = 0


def counted(store: Path) -> tuple[Count, Sent]:
    """The problems of the period, counted from the stored points (runs of steps above 40%), and the
    notifications: one a second after a problem fires, one a second after it resolves (group_wait 1s,
    then every minute), those before the last evaluation."""
    count, sent = Count(), Sent()
    times = step_times(SINCE, AT, 60)
    with sqlite3.connect(store) as conn:
        for cluster in DRUID:
            above = [_usage(conn, cluster, t) > 40 for t in times]
            runs, length = [], 0
            for index, present in enumerate([*above, False]):  # the last False: the end of the period
                if present:
                    length += 1
                elif length:
                    runs.append((index - length, index))  # first step, first step without it
                    length = 0
            for first, gone in runs:
                fired = gone - first > PENDING_STEPS
                ended = gone < len(times)
                count.detected += 1
                count.fired += fired
                count.healed += ended and not fired
                count.resolved += ended and fired
                count.open += not ended
                notified = fired and first + PENDING_STEPS < len(times) - 1
                sent.problems += notified
                sent.notifications += notified + (fired and ended and gone < len(times) - 1)
    return count, sent


def _usage(conn: sqlite3.Connection, cluster: str, t: float) -> float:
    sql = (
        "SELECT MAX(p.value) FROM points p JOIN series s ON s.id = p.series"
        " WHERE s.cluster = ? AND s.service = 'druid' AND s.role = 'overlord' AND s.name = ? AND p.ts = ?"
    )
    (used,) = conn.execute(sql, (cluster, USED, t)).fetchone()
    (total,) = conn.execute(sql, (cluster, TOTAL, t)).fetchone()
    return used / total * 100


def test_replay_records_a_history_whose_figures_match_the_data(replayed: Path) -> None:
    expected, sent = counted(replayed / "var" / "khp.db")
    notifications = sent.notifications
    assert expected.healed > 3 and expected.resolved > 3 and expected.fired > expected.resolved  # a period worth it

    result = khp(replayed, "replay", "--since", format_time(SINCE), "--until", format_time(AT))
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "replay 100% (361 of 361 evaluations" in result.stderr
    assert f"{notifications} notifications would have been sent ({notifications * ROOMS} messages" in result.stdout

    stats = khp(replayed, "stats", "--since", format_time(SINCE), "--until", format_time(AT + 1), "--json")
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    warning = figures["by_severity"]["warning"]
    assert {key: warning[key] for key in ("detected", "healed", "fired", "resolved", "open")} == vars(expected)
    assert warning["problems_notified"] == sent.problems
    assert warning["notifications_sent"] == notifications * ROOMS
    assert figures["ledger"]["problems_notified"]["warning"] == sent.problems
    assert figures["unmatched"] == 0


def test_a_replay_replayed_records_nothing_new(replayed: Path) -> None:
    first = khp(replayed, "replay", "--since", "1h", "--until", format_time(AT), "--json")
    again = khp(replayed, "replay", "--since", "1h", "--until", format_time(AT), "--json")
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert json.loads(first.stdout)["events"] == json.loads(again.stdout)["events"]

    stats = khp(replayed, "stats", "--since", "1h", "--until", format_time(AT + 1), "--json")
    assert json.loads(stats.stdout)["events"] == sum(json.loads(first.stdout)["events"].values())


def test_replay_refuses_a_period_it_cannot_replay(replayed: Path) -> None:
    backwards = khp(replayed, "replay", "--since", format_time(AT), "--until", format_time(SINCE))
    assert backwards.returncode == 2
    assert "is not before --until" in backwards.stderr and "Traceback" not in backwards.stderr
    unknown = khp(replayed, "replay", "NoSuchMonitor", "--since", "1h", "--until", format_time(AT))
    assert unknown.returncode == 2 and "NoSuchMonitor" in unknown.stderr
