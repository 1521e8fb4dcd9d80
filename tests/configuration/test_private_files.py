"""State files are created 0600: the store, the alert states, the outbox, the history, its spool and dead letters,
and SQLite's -wal and -shm files beside each, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from alert_bridge._states import StateStore
from kakao_receiver._outbox import Outbox
from khp.configuration import create_private
from khp.history import HistoryEvent
from khp.history._embedded import EmbeddedHistory
from khp.history._spool import DeadLetter, DeadLetters, Spool
from khp.store import CycleLog, Store


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual umask, which leaves new files world-readable
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_state_file_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "khp.db")
    CycleLog(tmp_path / "var" / "khp.db").append({"started": 1.0, "at": 1.0, "seconds": 0.1})
    states = StateStore(tmp_path / "var" / "states.db")
    outbox = Outbox(tmp_path / "var" / "khp-outbox.db")
    outbox.counts()
    history = EmbeddedHistory(tmp_path / "var" / "history.db")
    event = HistoryEvent.for_labels(1.0, "notified", {"alertname": "X", "cluster": "c"})
    history.record([event])
    spool = Spool(tmp_path / "var" / "spool.db")
    spool.append([event])
    DeadLetters(tmp_path / "var" / "dead-letters.jsonl", lambda: 1.0).add([DeadLetter(event, "i", 400, "bad")])

    files = sorted(p for p in (tmp_path / "var").iterdir())
    assert {p.name for p in files} >= {"khp.db", "khp.db-wal", "khp-outbox.db-wal", "khp-outbox.db-shm"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    for closing in (store.close, states.close, outbox.close, history.close, spool.close):
        closing()


def test_an_existing_file_is_left_as_its_owner_made_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.write_text("")
    path.chmod(0o640)
    create_private(path)
    assert mode(path) == 0o640
