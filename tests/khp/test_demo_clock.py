"""The demo's clock: every event of its history, the receiver's deliveries included, on simulated time."""

from __future__ import annotations

import textwrap
from pathlib import Path

from khp._demo_stack import DemoClock
from khp.history import HistoryEvent, statistics
from khp.history._embedded import EmbeddedHistory
from khp.store import CycleLog
from tests.realparts.alertmanager import require_alertmanager

from .helpers import khp

T = 1795946400.0  # simulated
R = 1700000000.0  # real


class Real:
    def __init__(self) -> None:
        self.now = R

    def __call__(self) -> float:
        return self.now


def test_a_real_moment_falls_between_the_simulated_minutes_it_came_between() -> None:
    real = Real()
    clock = DemoClock(step=60, tick=2, real=real)
    assert clock.simulated(R + 5) == R + 5  # no cycle yet: nothing to go by
    for minute in range(3):
        clock.cycle(T + 60 * minute)
        real.now += 2.0

    assert clock.simulated(R) == T
    assert clock.simulated(R + 1) == T + 30  # half way to the next cycle
    assert clock.simulated(R + 3.5) == T + 105
    assert clock.simulated(R - 10) == T  # before the first cycle: its time
    assert clock.simulated(R + 4.5) == T + 135  # after the last cycle, at the demo's pace...
    assert clock.simulated(R + 60) == T + 180  # ...and not past the next cycle


def test_events_recorded_through_the_clock_carry_simulated_times() -> None:
    real = Real()
    clock = DemoClock(step=60, tick=2, real=real)
    clock.cycle(T)
    real.now += 2
    clock.cycle(T + 60)
    kept: list[HistoryEvent] = []
    labels = {"alertname": "Disk", "cluster": "a", "severity": "warning"}
    clock.retimed(kept.extend)([HistoryEvent.for_labels(R + 0.5, "notified", labels, room="1")])

    assert [event.time for event in kept] == [T + 15]


def test_the_demos_notifications_come_after_the_alerts_they_are_about(tmp_path: Path) -> None:
    require_alertmanager()
    (tmp_path / "khp.yml").write_text(
        textwrap.dedent(
            """
            store: var/khp.db
            evaluation: {interval: 1m, window: 10m, pending: 2m}
            routing:
              receiver_url: http://127.0.0.1:9/alertmanager
              channels: {warning: ["kakaowork:1"], critical: ["kakaowork:2"]}
            """
        )
    )
    store = tmp_path / "var" / "demo.db"
    args = ("--clusters", "4", "--fault-rate", "30", "--cycles", "12", "--tick", "1", "--store", str(store))
    result = khp(tmp_path, "demo", *args)
    assert result.returncode == 0, result.stderr

    times = [record["at"] for record in CycleLog(store).recent(100)]
    first, last = min(times), max(times)
    history = EmbeddedHistory(store)
    try:
        events = history.events(0, 4e9)
    finally:
        history.close()
    assert {"detected", "fired", "notified"} <= {event.kind for event in events}
    assert all(first <= event.time <= last + 60 for event in events)  # one clock: the simulated one
    figures = statistics(events, first, last + 60)
    assert figures.total.notifications_sent > 0
    assert figures.ledger.total.problems_notified["any"] > 0  # each delivery found the alert it is about
    assert figures.unmatched == 0
