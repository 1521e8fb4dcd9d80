"""Flapping: an alert that changes state too often is held firing under one notification until stable.

Nagios and Icinga semantics, on the alert's own state changes (each time it fires or resolves;
a problem that comes and goes within its pending time never fires, so it changes nothing):

* When an alert **fires** and it has changed state more than ``flapping.changes`` times within
  ``flapping.window`` (this firing counted), it is *flapping*. It is sent firing with the
  annotation ``flapping``: Alertmanager notifies it once, as any alert that fires.
* While flapping it stays firing, re-sent as usual, whether its problem is there or not (the
  last problem seen is held); there is nothing new to notify, so the rooms stay quiet.
* Once its problem has neither come nor gone for ``flapping.stable``, it is stable: if the
  problem is gone the alert resolves (one resolved message), if it is there the alert goes on
  firing without the annotation.

An alert that never flaps is sent exactly as Prometheus would send it. The state lives in the
store file (table ``alert_flapping``, one row per alert that changed state within the window),
so a restart neither forgets a flapping alert nor lets it resolve.

Pure but for ``FlapStore``: ``Flapping.hold`` and ``Flapping.observe`` take the evaluation time.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluator import Problem
from khp.configuration import Config, ConfigSection, format_duration

from ._errors import StateStoreError
from ._machine import FIRED, RESOLVED_NOW, Key, due

ANNOTATION = "flapping"
TABLE = "alert_flapping"
_PROBLEM_FIELDS = tuple(f.name for f in dataclasses.fields(Problem))


@dataclass(frozen=True)
class FlappingSettings:
    """The ``flapping:`` section of ``khp.yml``; ``changes: 0`` turns flapping detection off."""

    changes: int = 4  # more than this many state changes within the window: flapping
    window: float = 3600.0
    stable: float = 1800.0  # no change for this long: stable again

    @property
    def enabled(self) -> bool:
        return self.changes > 0


def flapping_settings(config: Config) -> FlappingSettings:
    """Validate ``flapping: {changes, window, stable}``; a ``ConfigError`` names the file and key."""
    section = ConfigSection(config.file, "flapping", dict(config.components.get("flapping") or {}))
    section.only(("changes", "window", "stable"))
    default = FlappingSettings()
    return FlappingSettings(
        changes=section.integer("changes", default.changes, minimum=0),
        window=section.duration("window", default.window),
        stable=section.duration("stable", default.stable),
    )


@dataclass(frozen=True)
class Flap:
    """One alert's recent state changes and, while it flaps, what is held firing."""

    changes: tuple[float, ...] = ()  # evaluation times it fired or resolved, within the window
    since: float | None = None  # flapping since (None: not flapping)
    present: bool = True  # its problem was there in the last cycle (while flapping)
    last_change: float | None = None  # when its problem last came or went (while flapping)
    held: Problem | None = None  # the problem held firing

    @property
    def flapping(self) -> bool:
        return self.since is not None


@dataclass
class FlapCycle:
    """What flapping did in one cycle, for the history and the log."""

    started: list[Problem] = field(default_factory=list)  # alerts that began flapping (sent firing, annotated)
    came: list[Problem] = field(default_factory=list)  # problems that came back while their alert is held
    gone: list[Problem] = field(default_factory=list)  # problems that went away while their alert is held
    ended: list[tuple[Problem, bool]] = field(default_factory=list)  # stable again: (problem, still there)


class Flapping:
    """Flapping detection for the alert bridge: ``hold`` before each key's step, ``observe`` after it."""

    def __init__(self, settings: FlappingSettings, store: FlapStore | None = None) -> None:
        self.settings = settings
        self.store = store
        self._flaps: dict[Key, Flap] = store.load() if store is not None else {}
        self._stored: set[Key] = set(self._flaps)
        self._dirty: set[Key] = set()
        self.cycle = FlapCycle()

    @property
    def flapping(self) -> Mapping[Key, Flap]:
        """The alerts flapping now."""
        return MappingProxyType({key: flap for key, flap in self._flaps.items() if flap.flapping})

    def begin(self) -> FlapCycle:
        """Start a cycle; what the previous one did is dropped."""
        self.cycle = FlapCycle()
        return self.cycle

    def hold(self, key: Key, problem: Problem | None, kept: bool, at: float) -> Problem | None:
        """What the state machine should see of ``key`` this cycle: while it flaps, its held problem."""
        flap = self._flaps.get(key)
        if flap is None or not flap.flapping:
            return problem
        if kept:  # its monitor failed: unknown, neither come nor gone
            return problem
        present = problem is not None
        last_change = flap.last_change if flap.last_change is not None else at
        held = problem or flap.held
        if present != flap.present:
            last_change = at
            if not present and flap.held is not None:
                self.cycle.gone.append(flap.held)
            if present and problem is not None:
                self.cycle.came.append(problem)
        if held is not None and due(at - last_change, self.settings.stable):
            self._put(key, Flap())
            self.cycle.ended.append((held, present))
            return problem
        self._put(key, dataclasses.replace(flap, present=present, last_change=last_change, held=held))
        return held

    def observe(self, key: Key, event: str, problem: Problem | None, at: float) -> None:
        """Count a firing or resolution of ``key``; a firing past the limit starts flapping."""
        if event not in (FIRED, RESOLVED_NOW) or not self.settings.enabled:
            return
        flap = self._flaps.get(key)
        if flap is None:  # the common case, every alert's first firing: no copy of anything
            self._put(key, Flap((at,)))
            return
        window = self.settings.window
        changes = (*(t for t in flap.changes if at - t < window), at)
        if event == FIRED and not flap.flapping and len(changes) > self.settings.changes and problem is not None:
            self._put(key, Flap(since=at, present=True, last_change=at, held=problem))
            self.cycle.started.append(problem)
            return
        self._put(key, Flap(changes, flap.since, flap.present, flap.last_change, flap.held))

    def annotate(self, key: Key, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` (an alert to send) with the ``flapping`` annotation while ``key`` flaps."""
        flap = self._flaps.get(key)
        if flap is not None and flap.flapping:
            body["annotations"][ANNOTATION] = self.describe()
        return body

    def describe(self) -> str:
        s = self.settings
        return (
            f"changed state more than {s.changes} times in {format_duration(s.window)}: held firing until"
            f" stable for {format_duration(s.stable)}"
        )

    def save(self, at: float | None = None) -> int:
        """Write what changed (and, as of evaluation time ``at``, forget changes older than the window);
        the number of rows written (not counted as the bridge's state rows)."""
        if at is not None:
            window = self.settings.window
            # changes are kept in time order: the last one says whether any is still in the window
            old = [
                k for k, f in self._flaps.items() if f.since is None and (not f.changes or at - f.changes[-1] >= window)
            ]
            for key in old:
                del self._flaps[key]
            self._dirty.update(old)
        if self.store is None or not self._dirty:
            self._dirty.clear()
            return 0
        # a single change is every alert's first firing: not worth a row (a restart forgets one change)
        kept = {key: self._flaps[key] for key in self._dirty if key in self._flaps and _worth(self._flaps[key])}
        removed = [key for key in self._dirty if key not in kept and key in self._stored]
        self._dirty.clear()
        self._stored.difference_update(removed)
        self._stored.update(kept)
        return self.store.save(kept, removed) if kept or removed else 0

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def _put(self, key: Key, flap: Flap) -> None:
        self._flaps[key] = flap
        self._dirty.add(key)


class FlapStore:
    """The ``alert_flapping`` table in the store file; read once at start, changed rows written each cycle."""

    SCHEMA = f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
        key TEXT PRIMARY KEY,     -- JSON of Problem.key: [check, monitor, cluster, host, severity]
        changes TEXT NOT NULL,    -- JSON list of evaluation times it fired or resolved, within the window
        since REAL,               -- flapping since (NULL: not flapping)
        present INTEGER NOT NULL, -- its problem was there in the last cycle
        last_change REAL,         -- when its problem last came or went, while flapping
        held TEXT                 -- JSON of the Problem held firing
    ) WITHOUT ROWID
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(self.SCHEMA)
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreError(f"cannot open the {TABLE} table in {self.path}: {exc}") from None

    def load(self) -> dict[Key, Flap]:
        with self._lock:
            try:
                rows = self._conn.execute(
                    f"SELECT key, changes, since, present, last_change, held FROM {TABLE}"
                ).fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot read {TABLE} in {self.path}: {exc}") from None
        flaps: dict[Key, Flap] = {}
        for key, changes, since, present, last_change, held in rows:
            try:
                problem = Problem(**json.loads(held)) if held else None
                flaps[tuple(json.loads(key))] = Flap(
                    tuple(float(t) for t in json.loads(changes)), since, bool(present), last_change, problem
                )
            except (TypeError, ValueError):
                continue  # written by an incompatible version: forgotten
        return flaps

    def save(self, changed: Mapping[Key, Flap], removed: Iterable[Key]) -> int:
        rows = [
            (
                _key(key),
                json.dumps(list(flap.changes)),
                flap.since,
                int(flap.present),
                flap.last_change,
                _problem(flap.held),
            )
            for key, flap in changed.items()
        ]
        gone = [(_key(key),) for key in removed]
        with self._lock:
            try:
                with self._conn:
                    self._conn.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)", rows)
                    self._conn.executemany(f"DELETE FROM {TABLE} WHERE key = ?", gone)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write {TABLE} in {self.path}: {exc}") from None
        return len(rows) + len(gone)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _worth(flap: Flap) -> bool:
    return flap.flapping or len(flap.changes) > 1


def _key(key: Key) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def _problem(problem: Problem | None) -> str | None:
    if problem is None:
        return None
    return json.dumps({name: getattr(problem, name) for name in _PROBLEM_FIELDS}, ensure_ascii=False)
