"""Every transition of the pure state machine, with hand-made times (no clock, no I/O)."""

from __future__ import annotations

import dataclasses

from alert_bridge import FIRING, PENDING, RESOLVED, AlertState, Step, Timing, step
from alert_bridge._machine import due, keeps, past
from evaluator import MONITOR_FAILED, SOURCE_UNAVAILABLE
from khp.configuration import AlertmanagerConfig, Config, EvaluationConfig

from .conftest import T0, problem

TIMING = Timing(pending=300.0, resend=60.0, resolved_resend=900.0, valid_for=240.0)
WALL = 1_800_000_000.0  # the wall clock runs apart from evaluation time (as in the demo)


def run(state: AlertState | None, seen: object, at: float, kept: bool = False) -> Step:
    return step(state, seen, at, WALL + (at - T0), TIMING, kept)  # type: ignore[arg-type]


def firing_since(at: float) -> AlertState:
    state: AlertState | None = None
    for offset in range(0, 301, 60):
        state = run(state, problem(), at - 300 + offset).state
    assert state is not None and state.phase == FIRING and state.fired == at
    return state


def test_timing_follows_prometheus() -> None:
    timing = Timing.from_config(
        Config(
            evaluation=EvaluationConfig(interval=30.0, pending=120.0),
            alertmanager=AlertmanagerConfig(resend_interval=60.0, resolved_resend=900.0),
        )
    )
    assert timing == Timing(pending=120.0, resend=60.0, resolved_resend=900.0, valid_for=240.0)
    slow = Timing.from_config(Config(evaluation=EvaluationConfig(interval=300.0)))
    assert slow.valid_for == 1200.0


def test_a_new_problem_goes_pending_and_is_not_sent() -> None:
    outcome = run(None, problem(), T0)
    assert outcome.event == "pending" and not outcome.send
    assert outcome.state is not None
    assert (outcome.state.phase, outcome.state.since, outcome.state.starts_at) == (PENDING, T0, None)


def test_it_fires_once_present_in_every_cycle_for_its_pending_time() -> None:
    state = run(None, problem(), T0).state
    for offset in (60, 120, 180, 240):
        outcome = run(state, problem(value=92.0 + offset), T0 + offset)
        assert (outcome.event, outcome.send) == ("", False)
        assert outcome.state is state  # nothing to save while only the value moves
    outcome = run(state, problem(value=99.0), T0 + 300)
    assert (outcome.event, outcome.send) == ("fired", True)
    fired = outcome.state
    assert fired is not None and fired.phase == FIRING
    assert fired.since == T0 and fired.fired == T0 + 300 and fired.last_sent == T0 + 300
    assert fired.starts_at == WALL + 300  # startsAt = when it fired, on the wall clock
    assert fired.valid_until == T0 + 300 + 240
    assert fired.problem.value == 99.0  # sent as seen now


def test_the_problems_own_pending_time_wins_over_the_default() -> None:
    assert run(None, problem(pending=0.0), T0).event == "fired"
    state = run(None, problem(pending=120.0), T0).state
    assert run(state, problem(pending=120.0), T0 + 60).event == ""
    assert run(state, problem(pending=120.0), T0 + 120).event == "fired"


def test_a_cycle_without_it_resets_the_pending_timer() -> None:
    state = run(None, problem(), T0).state
    state = run(state, problem(), T0 + 240).state
    outcome = run(state, None, T0 + 270)
    assert (outcome.state, outcome.event, outcome.send) == (None, "reset", False)
    again = run(outcome.state, problem(), T0 + 300)
    assert again.event == "pending" and again.state is not None and again.state.since == T0 + 300
    assert run(again.state, problem(), T0 + 540).event == ""
    assert run(again.state, problem(), T0 + 600).event == "fired"


def test_firing_alerts_are_resent_once_more_than_the_resend_interval_has_passed() -> None:
    state = firing_since(T0 + 300)
    for quiet in (T0 + 330, T0 + 360):  # as Prometheus: LastSentAt + resend must be *before* the evaluation
        early = run(state, problem(value=95.0), quiet)
        assert (early.event, early.send, early.state) == ("", False, state)
    outcome = run(state, problem(value=95.0), T0 + 420)
    assert (outcome.event, outcome.send) == ("resent", True)
    resent = outcome.state
    assert resent is not None
    assert resent.last_sent == T0 + 420 and resent.valid_until == T0 + 420 + 240
    assert resent.starts_at == state.starts_at and resent.fired == state.fired  # no re-paging
    assert resent.problem.value == 95.0


def test_a_cycle_a_hair_early_still_counts() -> None:
    assert due(59.99, 60.0) and not due(59.0, 60.0)
    assert due(299.5, 300.0) and not due(298.0, 300.0)
    assert due(0.0, 0.0)


def test_past_is_strictly_more_and_a_cycle_a_hair_late_is_not_a_whole_interval() -> None:
    assert not past(60.0, 60.0) and not past(60.5, 60.0) and past(61.0, 60.0) and past(120.0, 60.0)
    assert not past(1.0, 1.0) and past(2.0, 1.0)


def test_a_problem_gone_while_firing_is_resolved_with_ends_at_now() -> None:
    state = firing_since(T0 + 300)
    outcome = run(state, None, T0 + 330)
    assert (outcome.event, outcome.send) == ("resolved", True)
    resolved = outcome.state
    assert resolved is not None and resolved.phase == RESOLVED
    assert resolved.resolved == T0 + 330 and resolved.ends_at == WALL + 330 and resolved.last_sent == T0 + 330
    assert resolved.starts_at == state.starts_at


def test_a_resolution_is_repeated_every_resend_interval_for_resolved_resend() -> None:
    state = run(firing_since(T0 + 300), None, T0 + 360).state
    sends = 1
    at = T0 + 360
    while state is not None:
        at += 60
        outcome = run(state, None, at)
        if outcome.send:
            assert outcome.event == "repeated" and outcome.state is not None
            assert outcome.state.ends_at == WALL + 360  # the same endsAt every time
            sends += 1
        state = outcome.state
    assert outcome.event == "forgotten"
    assert at == T0 + 360 + 960  # forgotten once more than resolved_resend has passed, as in Prometheus
    assert sends == 8  # at 0, 2, ..., 14 minutes: every other evaluation with a 1m interval and resend


def test_an_undelivered_resolution_is_kept_while_the_last_firing_alert_is_valid() -> None:
    resolved = run(firing_since(T0 + 300), None, T0 + 360).state
    assert resolved is not None
    timing = Timing(pending=300.0, resend=60.0, resolved_resend=60.0, valid_for=240.0)
    lost = dataclasses.replace(resolved, undelivered=frozenset({"http://am2:9093"}))
    held = step(lost, None, T0 + 480, WALL, timing)
    assert held.state is lost and not held.send  # the bridge keeps retrying it to am2
    assert step(lost, None, T0 + 300 + 240, WALL, timing).event == "forgotten"
    assert step(resolved, None, T0 + 480, WALL, timing).event == "forgotten"


def test_a_resolved_alert_that_comes_back_starts_over_as_pending() -> None:
    resolved = run(firing_since(T0 + 300), None, T0 + 360).state
    outcome = run(resolved, problem(), T0 + 420)
    assert outcome.event == "pending" and outcome.state is not None
    assert (outcome.state.phase, outcome.state.since, outcome.state.starts_at) == (PENDING, T0 + 420, None)


def test_a_failed_monitor_keeps_a_pending_problem_pending_without_resetting_or_firing_it() -> None:
    state = run(None, problem(), T0).state
    for at in (T0 + 60, T0 + 600):
        outcome = run(state, None, at, kept=True)
        assert (outcome.state, outcome.event, outcome.send) == (state, "kept", False)
    assert run(state, problem(), T0 + 660).event == "fired"  # the timer was not reset


def test_a_failed_monitor_keeps_a_firing_problem_firing_and_resent() -> None:
    state = firing_since(T0 + 300)
    for at in (T0 + 330, T0 + 360):
        quiet = run(state, None, at, kept=True)
        assert (quiet.state, quiet.event, quiet.send) == (state, "kept", False)
    outcome = run(state, None, T0 + 420, kept=True)
    assert (outcome.event, outcome.send) == ("kept", True)
    assert outcome.state is not None and outcome.state.phase == FIRING
    assert outcome.state.valid_until == T0 + 420 + 240


def test_only_problems_of_failed_monitors_are_kept_and_never_failure_problems() -> None:
    failed = {"HdfsMonitor"}
    assert keeps(problem(), failed)
    assert not keeps(problem(monitor="KuduMonitor"), failed)
    for check in (MONITOR_FAILED, SOURCE_UNAVAILABLE):
        assert not keeps(problem(check=check, cluster=None, host=None), failed)


def test_nothing_happens_to_an_unknown_absent_key() -> None:
    assert run(None, None, T0) == Step(None)
