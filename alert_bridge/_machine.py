"""The state machine of one problem: pending -> firing -> resolved, as Prometheus' alerting rules.

Pure: no I/O and no clock. ``step`` takes the state a problem key had, what this cycle saw
(the problem, or nothing), the cycle's evaluation time ``at`` and the wall-clock time ``wall``
that Alertmanager will compare ``startsAt``/``endsAt`` with, and returns the next state, what
happened, and whether an alert must be sent now.

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
UNCHANGED = ""

FAILURE_CHECKS = frozenset({MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE})

Key = tuple[str, str, "str | None", "str | None", str]


@dataclass(frozen=True)
class Timing:
    """Prometheus' sending rules, from the configuration."""

    pending: float = 300.0  # used when a problem carries no pending time of its own
    resend: float = 60.0
    resolved_resend: float = 900.0
    valid_for: float = 240.0  # endsAt of a firing alert = now + valid_for

    @classmethod
    def from_config(cls, config: Config) -> Timing:
        resend = config.alertmanager.resend_interval
        return cls(
            pending=config.evaluation.pending,
            resend=resend,
            resolved_resend=config.alertmanager.resolved_resend,
            # as Prometheus: 4 * max(evaluation interval, resend delay) survives two lost cycles or sends
            valid_for=4 * max(config.evaluation.interval, resend),
        )


@dataclass(frozen=True)
class AlertState:
    """Where one problem key stands. Evaluation times: ``since``, ``fired``, ``resolved``,
    ``last_sent``, ``valid_until``; wall-clock stamps sent to Alertmanager: ``starts_at``, ``ends_at``.

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

    @property
    def key(self) -> Key:
        return self.problem.key


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


def keeps(problem: Problem, failed_monitors: frozenset[str] | set[str]) -> bool:
    """Is ``problem`` unknown this cycle because its monitor failed? Failure problems never are."""
    return problem.monitor in failed_monitors and problem.check not in FAILURE_CHECKS


def step(
    state: AlertState | None, problem: Problem | None, at: float, wall: float, timing: Timing, kept: bool = False
) -> Step:
    """Advance one key by one cycle. ``problem`` is what the cycle saw (``None``: absent);
    ``kept`` says its absence means "unknown" (the monitor failed), not "healed"."""
    if problem is not None:
        if state is None or state.phase == RESOLVED:
            # a resolved alert that comes back starts over, as in Prometheus
            return _pending(AlertState(problem, PENDING, since=at), problem, at, wall, timing, BECAME_PENDING)
        if state.phase == PENDING:
            return _pending(state, problem, at, wall, timing, UNCHANGED)
        if state.last_sent is None or due(at - state.last_sent, timing.resend):
            return Step(_sent(dataclasses.replace(state, problem=problem), at, timing), RESENT, send=True)
        return Step(state)
    if state is None:
        return Step(None)
    if kept and state.phase != RESOLVED:
        if state.phase == FIRING and (state.last_sent is None or due(at - state.last_sent, timing.resend)):
            return Step(_sent(state, at, timing), KEPT, send=True)
        return Step(state, KEPT)
    if state.phase == PENDING:
        return Step(None, RESET)
    if state.phase == FIRING:
        ends_at = wall if state.starts_at is None else max(wall, state.starts_at)
        resolved = dataclasses.replace(state, phase=RESOLVED, resolved=at, ends_at=ends_at)
        return Step(_sent(resolved, at, timing), RESOLVED_NOW, send=True)
    assert state.resolved is not None
    if due(at - state.resolved, timing.resolved_resend):
        # a resolution no Alertmanager has acknowledged is kept while the last firing alert sent
        # is still valid there: until then only the resolution ends it
        if state.undelivered and state.valid_until is not None and at < state.valid_until:
            return Step(state)
        return Step(None, FORGOTTEN)
    if state.last_sent is None or due(at - state.last_sent, timing.resend):
        return Step(_sent(state, at, timing), REPEATED, send=True)
    return Step(state)


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
