"""The bridge: a cycle's problems in, alerts to every Alertmanager out, state kept in the store."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import requests

from evaluator import DATA_STALE, HEARTBEAT, NO_DATA, CycleResult, Problem
from khp.configuration import Config, format_time

from ._client import AlertmanagerClient
from ._courier import Batch, Courier, Delivery
from ._errors import BridgeError
from ._flapping import Flapping, FlapStore, flapping_settings
from ._machine import (
    BECAME_PENDING,
    FIRED,
    FIRING,
    FORGOTTEN,
    HELD,
    KEPT,
    NODATA_RESOLVED,
    PHASES,
    REPEATED,
    RESENT,
    RESET,
    RESOLVED,
    RESOLVED_NOW,
    RESUMED,
    AlertState,
    Key,
    Step,
    Timing,
    keeps,
    step,
)
from ._payload import alert, heartbeat
from ._report import BridgeReport
from ._states import StateStore

log = logging.getLogger("alert_bridge")

BATCH_SIZE = 1000
HEARTBEAT_KEY: Key = (HEARTBEAT, "khp", None, None, "none")


class AlertBridge:
    """Turns each cycle's problems into Alertmanager alerts with Prometheus' semantics (DESIGN §5).

    ::

        with AlertBridge(config) as bridge:
            while running:
                report = bridge.process(evaluator.cycle())
                log(report.summary())

    ``clock`` stamps alerts (``startsAt``/``endsAt``: Alertmanager compares them with its own
    clock); pending and resend durations are measured in the cycles' evaluation time
    (``result.record.at``). With ``evaluation_stamps`` the stamps are the evaluation time too, as
    Prometheus stamps them: ``khp run`` evaluates instants aligned to the interval, so the two
    evaluators of an HA pair send identical alerts. ``session`` is used for every Alertmanager
    (by default one ``requests.Session`` each). ``wait`` bounds how long ``process`` waits for
    answers (default ``alertmanager.timeout``); a slower Alertmanager's answer is taken at the
    next cycle. Call it from one thread.

    Besides the problems, every Alertmanager gets the heartbeat alert every resend interval
    (``alertname="Heartbeat"``, ``severity="none"``), last in each send: when it stops, the
    receiver knows monitoring is blind.
    """

    def __init__(
        self,
        config: Config,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        backoff: float = 0.5,
        wait: float | None = None,
        evaluation_stamps: bool = False,
    ) -> None:
        settings = config.alertmanager
        self.config = config
        self.timing = Timing.from_config(config)
        self.urls = tuple(dict.fromkeys(url.rstrip("/") for url in settings.urls))
        self.batch_size = batch_size
        self._clock = clock
        self._wait = settings.timeout if wait is None else wait
        self._stop = threading.Event()
        self._couriers = [
            Courier(AlertmanagerClient(url, session, settings.timeout, settings.retries, backoff, self._stop))
            for url in self.urls
        ]
        self._own_sessions = session is None
        self._store = StateStore(config.store.path)
        self._states: dict[Key, AlertState] = self._store.load(self.urls)
        self.flapping = Flapping(flapping_settings(config), FlapStore(config.store.path))
        self._dirty: set[Key] = set()
        self._gone: set[Key] = set()
        self._sends = 0
        self._closed = False
        self._evaluation_stamps = evaluation_stamps
        self._beats: dict[str, float] = {}  # Alertmanager URL -> evaluation time its heartbeat was acknowledged

    @property
    def states(self) -> Mapping[Key, AlertState]:
        """Every problem key the bridge holds (pending, firing, or resolved and still repeated)."""
        return MappingProxyType(self._states)

    def process(
        self,
        result: CycleResult,
        clusters: Collection[str] | None = None,
        monitors: Collection[str] | None = None,
    ) -> BridgeReport:
        """Advance every problem by this cycle, send what is due to every Alertmanager, save the state.

        ``clusters`` (``monitors``) is the cycle's scope when it evaluated only some clusters
        (``khp run --cluster``) or monitors (``--monitor``): the others' problems are kept as they
        were, not resolved.
        """
        if self._closed:
            raise BridgeError("the alert bridge is closed; make a new AlertBridge to go on")
        began = time.perf_counter()
        at = result.record.at
        wall = at if self._evaluation_stamps else self._clock()
        report = BridgeReport(at=at)
        self.flapping.begin()
        self._collect(report)
        scope = _Scope(
            None if clusters is None else frozenset(clusters), None if monitors is None else frozenset(monitors)
        )
        due = self._advance(result, scope, at, wall, report)
        sending = time.perf_counter()
        self._send(due, at, wall, report)
        report.send_seconds = time.perf_counter() - sending
        self._save(report, at)
        held = Counter(state.phase for state in self._states.values())
        report.states = {phase: held[phase] for phase in PHASES}
        report.seconds = time.perf_counter() - began
        return report

    def flush(self, wait: float | None = None) -> BridgeReport:
        """Wait (at most ``wait`` seconds, default the timeout) for deliveries still going on, take
        their outcome and save; what they delivered and failed."""
        if self._closed and self._store.closed:
            raise BridgeError("the alert bridge is closed; make a new AlertBridge to go on")
        report = BridgeReport(at=self._clock())
        deadline = time.perf_counter() + (self._wait if wait is None else wait)
        for courier in self._couriers:
            courier.wait(max(0.0, deadline - time.perf_counter()))
        self._collect(report)
        self._save(report)
        return report

    def close(self) -> None:
        """Take the last answers (waiting at most the timeout), save the state, end the sessions."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self._stop.set()
            if self._own_sessions:
                for courier in self._couriers:
                    courier.client.close()
            self._store.close()
            self.flapping.close()

    def __enter__(self) -> AlertBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the cycle --------------------------------------------------------------------------------

    def _advance(self, result: CycleResult, scope: _Scope, at: float, wall: float, report: BridgeReport) -> list[Key]:
        observed = {problem.key: problem for problem in result.problems}
        failed = frozenset(result.failed_monitors)
        due: list[Key] = []
        for key in [*self._states, *(key for key in observed if key not in self._states)]:
            if key[0] == NO_DATA:
                continue  # raised and ended below, from the states without data
            old = self._states.get(key)
            problem = observed.get(key)
            kept = problem is None and old is not None and (keeps(old.problem, failed) or scope.outside(old))
            problem = self.flapping.hold(key, problem, kept, at)  # a flapping alert is held as present
            covered = problem is not None or result.covers(key)
            hold = self.config.nodata_hold(key[2])
            outcome = step(old, problem, at, wall, self.timing, kept, covered, hold)
            self.flapping.observe(key, outcome.event, problem, at)
            self._apply(key, old, problem, outcome, report, due)
        self._no_data(scope, at, wall, report, due)
        return due

    def _no_data(self, scope: _Scope, at: float, wall: float, report: BridgeReport, due: list[Key]) -> None:
        """One "No data" problem per monitor, element and severity whose alerts resolved for lack of data
        and still have none; it ends when they have data again (or are forgotten)."""
        waiting: dict[Key, list[AlertState]] = {}
        for state in self._states.values():
            if state.without_data:
                p = state.problem
                waiting.setdefault((NO_DATA, p.monitor, p.cluster, p.host, p.severity), []).append(state)
        raised = {key: _no_data_problem(states) for key, states in waiting.items()}
        for key in [*raised, *(key for key in self._states if key[0] == NO_DATA and key not in raised)]:
            old = self._states.get(key)
            problem = raised.get(key)
            kept = problem is None and old is not None and scope.outside(old)
            self._apply(key, old, problem, step(old, problem, at, wall, self.timing, kept), report, due)
        report.raised = [
            state.problem for key, state in self._states.items() if key[0] == NO_DATA and state.phase != RESOLVED
        ]

    def _apply(
        self,
        key: Key,
        old: AlertState | None,
        problem: Problem | None,
        outcome: Step,
        report: BridgeReport,
        due: list[Key],
    ) -> None:
        new = outcome.state
        if new is None:
            if old is not None:
                del self._states[key]
                self._gone.add(key)
                self._dirty.discard(key)
        elif new is not old:
            if outcome.send:
                self._sends += 1
                new = dataclasses.replace(new, undelivered=frozenset(self.urls), version=self._sends)
                due.append(key)
            self._states[key] = new
            self._dirty.add(key)
            self._gone.discard(key)
        known = new or old
        if problem is not None and (old is None or old.phase == RESOLVED):
            report.detected.append(problem)  # a new occurrence starts, whatever its pending time
        if outcome.event and known is not None:
            _note(report, outcome.event, outcome.send, problem or known.problem)

    def _send(self, due: list[Key], at: float, wall: float, report: BridgeReport) -> None:
        free = [courier for courier in self._couriers if not courier.busy]
        report.busy = [courier.url for courier in self._couriers if courier.busy]
        if not free:
            return
        shared = self._batches(due, wall)
        listed = set(due)
        started: list[Delivery] = []
        retried: dict[Key, Any] = {}
        beat = self._heartbeat_batch(at, wall)
        for courier in free:
            # what this Alertmanager missed before (it was down, or busy) goes along with this cycle's
            missed = [key for key, state in self._states.items() if courier.url in state.undelivered]
            missed = [key for key in missed if key not in listed]
            for key in missed:
                if key not in retried:
                    retried[key] = self._retry(key, at, wall)
            batches = shared + self._batches(missed, wall, retried)
            alerts = sum(len(entries) for _, entries in batches)
            if due_at(self._beats.get(courier.url), at, self.timing.resend):
                batches.append(beat)  # last: once the receiver sees it, Alertmanager has the rest
                report.heartbeats.append(courier.url)
            if batches:
                started.append(courier.send(batches))
                if alerts:
                    report.sent[courier.url] = alerts
        deadline = time.perf_counter() + self._wait
        for delivery in started:
            delivery.settled.wait(max(0.0, deadline - time.perf_counter()))
        self._collect(report)

    def _heartbeat_batch(self, at: float, wall: float) -> Batch:
        body = json.dumps([heartbeat(wall, self.timing.valid_for)], separators=(",", ":")).encode()
        return (body, [(HEARTBEAT_KEY, int(at))])

    def _retry(self, key: Key, at: float, wall: float) -> dict[str, Any]:
        state = self._states[key]
        if state.phase == FIRING:
            # the firing alert it gets now stays valid there as long as a fresh one
            valid_until = max(state.valid_until or at, at + self.timing.valid_for)
            self._states[key] = dataclasses.replace(state, valid_until=valid_until)
            self._dirty.add(key)
        return self._alert(state, wall)

    def _alert(self, state: AlertState, wall: float) -> dict[str, Any]:
        return self.flapping.annotate(state.key, alert(state, wall, self.timing.valid_for))

    def _batches(self, keys: list[Key], wall: float, built: Mapping[Key, dict[str, Any]] | None = None) -> list[Batch]:
        batches: list[Batch] = []
        for start in range(0, len(keys), self.batch_size):
            chunk = keys[start : start + self.batch_size]
            states = [self._states[key] for key in chunk]
            alerts = [built[state.key] if built is not None else self._alert(state, wall) for state in states]
            body = json.dumps(alerts, ensure_ascii=False, separators=(",", ":")).encode()
            batches.append((body, [(state.key, state.version) for state in states]))
        return batches

    def _collect(self, report: BridgeReport) -> None:
        for courier in self._couriers:
            delivery = courier.take()
            if delivery is None:
                continue
            url = delivery.url
            for key, version in [*delivery.delivered, *delivery.rejected]:
                if key == HEARTBEAT_KEY:
                    self._beats[url] = max(self._beats.get(url, float(version)), float(version))
                    continue
                state = self._states.get(key)
                if state is not None and state.version == version and url in state.undelivered:
                    self._states[key] = dataclasses.replace(state, undelivered=state.undelivered - {url})
                    self._dirty.add(key)
            carried = any(key != HEARTBEAT_KEY for _, entries in delivery.batches for key, _ in entries)
            if carried:  # a delivery of the heartbeat alone is not counted
                delivered = sum(1 for key, _ in delivery.delivered if key != HEARTBEAT_KEY)
                report.delivered[url] = report.delivered.get(url, 0) + delivered
            if delivery.errors:
                report.errors.setdefault(url, []).extend(delivery.errors)
                for message in delivery.errors:
                    log.warning("alert bridge: %s", message)

    def _save(self, report: BridgeReport, at: float | None = None) -> None:
        began = time.perf_counter()
        changed = [self._states[key] for key in self._dirty if key in self._states]
        removed = [key for key in self._gone if key not in self._states]
        report.written += self._store.save(changed, removed)
        self.flapping.save(at)
        self._dirty.clear()
        self._gone.clear()
        report.store_seconds += time.perf_counter() - began


@dataclass(frozen=True)
class _Scope:
    """The clusters and monitors a cycle evaluated, when it evaluated only some (``None``: all)."""

    clusters: frozenset[str] | None
    monitors: frozenset[str] | None

    def outside(self, state: AlertState) -> bool:
        problem = state.problem
        if self.clusters is not None and problem.cluster is not None and problem.cluster not in self.clusters:
            return True
        return self.monitors is not None and problem.check != DATA_STALE and problem.monitor not in self.monitors


def due_at(last: float | None, at: float, every: float) -> bool:
    """Is something last done at ``last`` (``None``: never) due again at ``at``?"""
    return last is None or at - last >= every - min(1.0, every / 100)


def _no_data_problem(states: list[AlertState]) -> Problem:
    first = min(states, key=lambda s: (s.nodata_since or 0.0, s.problem.check))
    checks = ", ".join(sorted({s.problem.check for s in states}))
    since = min(s.nodata_since for s in states if s.nodata_since is not None) if first.nodata_since else None
    when = f" since {format_time(since)}" if since is not None else ""
    return Problem(
        check=NO_DATA,
        monitor=first.problem.monitor,
        cluster=first.problem.cluster,
        host=first.problem.host,
        severity=first.problem.severity,
        value=None,
        compare=None,
        threshold=None,
        description=f"no data for {checks}{when}; the alert was ended for lack of data, not because it healed",
        source=first.problem.source,
        service=first.problem.service,
        pending=0.0,
    )


def _note(report: BridgeReport, event: str, sent: bool, current: Problem) -> None:
    if event == BECAME_PENDING:
        report.pending.append(current)
    elif event == FIRED:
        report.fired.append(current)
    elif event == RESENT:
        report.resent.append(current)
    elif event == RESOLVED_NOW:
        report.resolved.append(current)
    elif event == REPEATED:
        report.repeated.append(current)
    elif event == RESET:
        report.reset.append(current)
    elif event == FORGOTTEN:
        report.forgotten += 1
    elif event == KEPT:
        report.kept.append(current)
        if sent:
            report.resent.append(current)
    elif event == HELD:
        report.held.append(current)
        if sent:
            report.resent.append(current)
    elif event == NODATA_RESOLVED:
        report.nodata_resolved.append(current)
    elif event == RESUMED:
        report.fired.append(current)
