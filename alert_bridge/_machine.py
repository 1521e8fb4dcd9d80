"""The state machine of one problem: pending -> firing -> resolved, as Prometheus' alerting rules.

Pure: no I/O and no clock. ``step`` takes the state a problem key had, what this cycle saw
(the problem, or nothing), the cycle's evaluation time ``at`` and the wall-clock time ``wall``
that Alertmanager will compare ``startsAt``/``endsAt`` with, and returns the next state, what
happened, and whether an alert must be sent now.

A problem that is absent resolves only when the cycle had data for it (``covered``: the
element is *ok*). Without data it is held: a firing alert stays firing (``nodata_since``) for
``hold`` seconds, then resolves *for lack of data* (``resolved_by="nodata"``) and stays as a
marker until the data is back (the bridge raises "No data" for it meanwhile); a pending
problem neither advances nor resets until the hold is over.

Durations (pending, resend, resolved repeats) are measured in evaluation time; the stamps an
alert carries (``starts_at`` when it fired, ``ends_at`` when it resolved) are wall-clock time.
In ``khp run`` both are the same clock; the demo's simulated minutes run faster than the wall.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from evaluator import MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE, Problem
from khp.configuration import Config

PENDING = "pending"
FIRING = "firing"
RESOLVED = "resolved"
PHASES = (PENDING, FIRING, RESOLVED)

# what ``step`` reports
BECAME_PENDING = "pending"  # first seen, waiting for its pending time
FIRED = "fired"  # pending time over (or none): sent as firing
RESENT = "resent"  # firing, re-sent on its resend schedule
RESOLVED_NOW = "resolved"  # gone while firing: sent with endsAt = now
REPEATED = "repeated"  # resolution re-sent on the resend schedule
RESET = "reset"  # gone while pending: forgotten, nothing was sent
FORGOTTEN = "forgotten"  # resolution repeated long enough: forgotten
KEPT = "kept"  # its monitor failed this cycle: state kept as it was
HELD = "held"  # no data this cycle: kept as it was (firing: re-sent on schedule, with nodata_since)
NODATA_RESOLVED = "nodata-resolved"  # no data for the whole hold: resolved for lack of data
RESUMED = "resumed"  # data is back after a resolution for lack of data, the problem with it: fired again
UNCHANGED = ""

NODATA = "nodata"  # AlertState.resolved_by of a resolution for lack of data

FAILURE_CHECKS = frozenset({MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE})

Key = tuple[str, str, "str | None", "str | None", str]


@dataclass(frozen=True)
class Timing:
    """Prometheus' sending rules, from the configuration."""

    pending: float = 300.0  # used when a problem carries no pending time of its own
    resend: float = 60.0
    resolved_resend: float = 900.0
    valid_for: float = 240.0  # endsAt of a firing alert = now + valid_for
    nodata_hold: float = 900.0  # used when ``step`` is given no hold of the problem's cluster
    nodata_forget: float = 86400.0  # a resolution for lack of data waits this long for the data

    @classmethod
    def from_config(cls, config: Config) -> Timing:
        resend = config.alertmanager.resend_interval
        return cls(
            pending=config.evaluation.pending,
            resend=resend,
            resolved_resend=config.alertmanager.resolved_resend,
            # as Prometheus: 4 * max(evaluation interval, resend delay) survives two lost cycles or sends
            valid_for=4 * max(config.evaluation.interval, resend),
            nodata_hold=config.evaluation.nodata_hold,
            nodata_forget=config.inventory.window,
        )


@dataclass(frozen=True)
class AlertState:
    """Where one problem key stands. Evaluation times: ``since``, ``fired``, ``resolved``,
    ``last_sent``, ``valid_until``, ``nodata_since``; wall-clock stamps sent to Alertmanager:
    ``starts_at``, ``ends_at``.

    ``nodata_since`` is set while the problem's element has no data; ``resolved_by`` is
    ``"nodata"`` for a resolution for lack of data ("" for one on evidence).

    ``undelivered`` holds the Alertmanager URLs that have not acknowledged the latest send;
    ``version`` counts sends in this process, so a late answer to an older send is not taken
    for the latest one.
    """

    problem: Problem
    phase: str
    since: float
    fired: float | None = None
    resolved: float | None = None
    last_sent: float | None = None
    valid_until: float | None = None
    starts_at: float | None = None
    ends_at: float | None = None
    undelivered: frozenset[str] = frozenset()
    version: int = dataclasses.field(default=0, compare=False)
    nodata_since: float | None = None
    resolved_by: str = ""

    @property
    def key(self) -> Key:
        return self.problem.key

    @property
    def without_data(self) -> bool:
        """A resolution for lack of data still waiting for the data: the bridge says "No data" for it."""
        return self.phase == RESOLVED and self.resolved_by == NODATA


@dataclass(frozen=True)
class Step:
    """The outcome of one ``step``: the next state (``None``: forget the key), the event, and
    whether the alert is to be sent this cycle."""

    state: AlertState | None
    event: str = UNCHANGED
    send: bool = False


def due(elapsed: float, duration: float) -> bool:
    """Has ``duration`` passed? A cycle that starts a hair early (clock slew) still counts."""
    return elapsed >= duration - min(1.0, duration / 100)


def past(elapsed: float, duration: float) -> bool:
    """Has more than ``duration`` passed, as Prometheus asks before it resends or forgets an alert
    (``LastSentAt + resend < ts``, ``ResolvedAt + 15m < ts``)?

    On aligned evaluation instants an alert sent at one is not resent at the next when the
    interval equals the resend delay, but at the one after: with ``interval: 1m`` and
    ``resend_interval: 1m``, every two minutes, as Prometheus sends. A cycle that starts a hair
    late (clock slew) does not count as a whole interval more.
    """
    return elapsed > duration + min(1.0, duration / 100)


def keeps(problem: Problem, failed_monitors: frozenset[str] | set[str]) -> bool:
    """Is ``problem`` unknown this cycle because its monitor failed? Failure problems never are."""
    return problem.monitor in failed_monitors and problem.check not in FAILURE_CHECKS


def step(
    state: AlertState | None,
    problem: Problem | None,
    at: float,
    wall: float,
    timing: Timing,
    kept: bool = False,
    covered: bool = True,
    hold: float | None = None,
) -> Step:
    """Advance one key by one cycle. ``problem`` is what the cycle saw (``None``: absent);
    ``kept`` says its absence means "unknown" (the monitor failed), not "healed"; ``covered``
    says the cycle had data for it, so that absence is *ok*; ``hold`` is how long a firing
    problem without data stays firing (``timing.nodata_hold`` by default)."""
    if problem is not None:
        if state is not None and state.without_data:
            # it was firing, then resolved only for want of data: with the data it fires again at once
            fired = AlertState(problem, FIRING, since=at, fired=at, starts_at=wall)
            return Step(_sent(fired, at, timing), RESUMED, send=True)
        if state is None or state.phase == RESOLVED:
            # a resolved alert that comes back starts over, as in Prometheus
            return _pending(AlertState(problem, PENDING, since=at), problem, at, wall, timing, BECAME_PENDING)
        if state.phase == PENDING:
            if state.nodata_since is not None:  # the time without data did not count
                state = dataclasses.replace(state, since=state.since + (at - state.nodata_since), nodata_since=None)
            return _pending(state, problem, at, wall, timing, UNCHANGED)
        if state.nodata_since is not None:  # data is back: say so now (the annotation goes)
            return Step(_sent(dataclasses.replace(state, problem=problem, nodata_since=None), at, timing), RESENT, True)
        if state.last_sent is None or past(at - state.last_sent, timing.resend):
            return Step(_sent(dataclasses.replace(state, problem=problem), at, timing), RESENT, send=True)
        return Step(state)
    if state is None:
        return Step(None)
    if kept and state.phase != RESOLVED:
        if state.phase == FIRING and (state.last_sent is None or past(at - state.last_sent, timing.resend)):
            return Step(_sent(state, at, timing), KEPT, send=True)
        return Step(state, KEPT)
    if not covered and state.phase != RESOLVED:
        return _without_data(state, at, wall, timing, timing.nodata_hold if hold is None else hold)
    if state.phase == PENDING:
        return Step(None, RESET)
    if state.phase == FIRING:
        ends_at = wall if state.starts_at is None else max(wall, state.starts_at)
        resolved = dataclasses.replace(state, phase=RESOLVED, resolved=at, ends_at=ends_at, nodata_since=None)
        return Step(_sent(resolved, at, timing), RESOLVED_NOW, send=True)
    assert state.resolved is not None
    if state.without_data:
        if covered:
            return Step(None, FORGOTTEN)  # the data is back, and fine: nothing more to say
        if due(at - state.resolved, timing.nodata_forget):
            return Step(None, FORGOTTEN)
        if not past(at - state.resolved, timing.resolved_resend) and past(at - (state.last_sent or at), timing.resend):
            return Step(_sent(state, at, timing), REPEATED, send=True)
        return Step(state)
    if past(at - state.resolved, timing.resolved_resend):
        # a resolution no Alertmanager has acknowledged is kept while the last firing alert sent
        # is still valid there: until then only the resolution ends it
        if state.undelivered and state.valid_until is not None and at < state.valid_until:
            return Step(state)
        return Step(None, FORGOTTEN)
    if state.last_sent is None or past(at - state.last_sent, timing.resend):
        return Step(_sent(state, at, timing), REPEATED, send=True)
    return Step(state)


def _without_data(state: AlertState, at: float, wall: float, timing: Timing, hold: float) -> Step:
    """No data this cycle for a pending or firing problem: hold it, until ``hold`` has passed."""
    since = state.nodata_since if state.nodata_since is not None else at
    over = due(at - since, hold)
    if state.phase == PENDING:
        if over:
            return Step(None, RESET)  # never sent: nothing to take back
        return Step(state if state.nodata_since is not None else dataclasses.replace(state, nodata_since=at), HELD)
    if over:
        ends_at = wall if state.starts_at is None else max(wall, state.starts_at)
        resolved = dataclasses.replace(
            state, phase=RESOLVED, resolved=at, ends_at=ends_at, nodata_since=since, resolved_by=NODATA
        )
        return Step(_sent(resolved, at, timing), NODATA_RESOLVED, send=True)
    held = state if state.nodata_since is not None else dataclasses.replace(state, nodata_since=at)
    if held.last_sent is None or past(at - held.last_sent, timing.resend):
        return Step(_sent(held, at, timing), HELD, send=True)
    return Step(held, HELD)


def _pending(state: AlertState, problem: Problem, at: float, wall: float, timing: Timing, event: str) -> Step:
    # the pending state keeps the problem as first seen (nothing to write while only its value
    # moves); it fires with the problem as seen now
    pending = timing.pending if problem.pending is None else problem.pending
    if not due(at - state.since, pending):
        return Step(state, event)
    fired = dataclasses.replace(state, problem=problem, phase=FIRING, fired=at, starts_at=wall)
    return Step(_sent(fired, at, timing), FIRED, send=True)


def _sent(state: AlertState, at: float, timing: Timing) -> AlertState:
    if state.phase == FIRING:
        return dataclasses.replace(state, last_sent=at, valid_until=at + timing.valid_for)
    return dataclasses.replace(state, last_sent=at)
