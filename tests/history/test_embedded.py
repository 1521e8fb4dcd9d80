"""The embedded history: a table in the store's SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from khp import history
from khp.history import EVENT_KINDS, HistoryEvent, open_history, problem_key, statistics, statistics_json
from khp.history._embedded import EmbeddedHistory
from khp.store import Store
from tests.history.conftest import project_config
from tests.history.planted import START, fired, healed, labels, seed_history

DISK = labels("Disk full", "alpha", "warning", host="dn1")
SLOTS = labels("Task slot usage", "beta", "critical")


def test_the_public_surface() -> None:
    assert history.__all__ == [
        "EVENT_KINDS",
        "HISTORY_TYPES",
        "KEY_LABELS",
        "REASONS",
        "REASON_LABELS",
        "SUPPRESSIONS",
        "Figures",
        "History",
        "HistoryError",
        "HistoryEvent",
        "HistorySettings",
        "HistoryUnavailable",
        "Ledger",
        "LedgerRow",
        "Statistics",
        "history_settings",
        "open_history",
        "problem_key",
        "statistics",
        "statistics_json",
    ]


def test_round_trip_in_the_store_file_beside_metrics(tmp_path: Path) -> None:
    config = project_config(tmp_path)
    store = Store(config.store.path)
    recorded = [
        *fired(START, DISK),
        HistoryEvent.for_labels(START + 10, "detected", SLOTS, value=97.5, threshold=90.0, detail="97.5 > 90"),
        HistoryEvent(START + 20, "action", key=problem_key({"cluster": "beta"}), cluster="beta", actor="kim"),
    ]
    with open_history(config) as kept:
        assert isinstance(kept, EmbeddedHistory) and kept.db.path == tmp_path / "var/khp.db"
        kept.record(recorded)
        assert kept.events(START, START + 3600) == sorted(recorded, key=HistoryEvent.order)
        assert kept.events(START, START + 3600, cluster="beta") == recorded[4:]
        assert kept.events(START, START + 3600, kinds=["fired", "notified"]) == recorded[1:3]
        assert kept.events(START, START + 3600, kinds=[]) == []
        assert kept.events(START + 10, START + 20) == [recorded[4]]  # since included, until excluded
    assert store.counts() == {"metrics": 0, "logs": 0, "processes": 0}  # the store's own tables are untouched
    with sqlite3.connect(config.store.path) as raw:
        indices = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"history_events_by_time", "history_events_by_key"} <= indices
    store.close()


def test_the_same_event_recorded_twice_is_kept_once(tmp_path: Path) -> None:
    events = healed(START, DISK)
    with EmbeddedHistory(tmp_path / "khp.db") as kept:
        kept.record(events)
        kept.record(events)
        kept.record([HistoryEvent.for_labels(START, "detected", DISK, detail="another text, the same event")])
        assert kept.events(START, START + 3600) == events


def test_several_threads_write_at_once(tmp_path: Path) -> None:
    kept = EmbeddedHistory(tmp_path / "khp.db")

    def write(offset: int) -> None:
        kept.record([HistoryEvent.for_labels(START + offset * 100 + n, "detected", DISK) for n in range(50)])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kept.events(START, START + 3600)) == 200
    kept.close()


def test_statistics_json_reads_the_history(tmp_path: Path) -> None:
    events = seed_history()
    until = START + 1200 * 3600
    with open_history(project_config(tmp_path, "type: embedded")) as kept:
        kept.record(events)
        shown = statistics_json(kept, START, until)
        assert shown == statistics(events, START, until).as_json()
        assert shown["by_severity"]["warning"]["share_notified"] == 0.12
        assert statistics_json(kept, START, until, cluster="beta")["total"]["detected"] == 50


def test_events_keep_their_identity_and_order() -> None:
    detected = HistoryEvent.for_labels(START, "detected", DISK)
    fired_event = HistoryEvent.for_labels(START, "fired", DISK)
    assert detected.identity() != fired_event.identity()
    assert detected.identity() == HistoryEvent.for_labels(START, "detected", DISK, detail="x").identity()
    assert sorted([fired_event, detected], key=HistoryEvent.order) == [detected, fired_event]
    assert HistoryEvent.from_dict({**detected.as_dict(), "@timestamp": "ignored"}) == detected
    assert list(EVENT_KINDS)[:4] == ["detected", "healed", "fired", "resolved"]
