"""Stalls end to end: one part of the real chain stopped (SIGSTOP) for longer than an alert lives
(``endsAt``, 20 s here), then continued, while a problem heals. A stalled part is a hung process,
or a host cut off without a reset: connections to it are taken by its socket and wait
unanswered, which no refusal shows.
One Alertmanager of the pair is also killed and restarted (the evaluator's kill and the
receiver's are in ``test_alert_truth`` and ``tests/kakao_receiver/test_crash.py``).

What each room must get, whichever part stalled: every host's FIRING once, and RESOLVED only for
the host that healed (with the FIRING again that docs/operations.md documents, if it comes, and
the RESOLVED after it), counted per host from the receiver's outbox and per title at the
stand-in. The evaluator stalled is silent, so "blind" and "restored" are said; another part
stalled is not the evaluator's silence, so nothing about blindness is.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.realparts._process import stalled
from tests.realparts.alertmanager import require_alertmanager

from .truth_stack import (
    EVALUATION,
    FIRED,
    HEALED,
    RESTORED,
    ROOMS,
    VALID_FOR,
    Stack,
    assert_a2_healed,
    assert_blind_once_and_restored_once,
    assert_told_truly,
    firing_everywhere,
    outage,
    told_in,
    truth_stack,
)

pytestmark = pytest.mark.slow


def stall_while_a2_heals(stack: Stack, pids: list[int], seconds: float = 1.5 * VALID_FOR) -> None:
    """``pids`` stopped for ``seconds``; a2 heals at the start."""
    with stalled(pids):
        started = time.monotonic()
        stack.feeder.healthy = {"a2"}
        stack.wait(lambda: time.monotonic() - started >= seconds, f"a stall of {seconds:g}s")


def assert_a2_healed_and_nothing_else(messages: list[tuple[str, str]], told: dict[tuple[str, str], list[str]]) -> None:
    """Every host's disk FIRING, a2's RESOLVED, nothing of blindness."""
    assert_told_truly(told, healed={"a2"})
    for room in ROOMS:
        titles = told_in(messages, room)
        assert_a2_healed(titles)
        assert all("Disk usage" in t for t in titles), titles


def test_an_evaluator_stalled_longer_than_ends_at_says_blind_and_restored_and_resolves_nothing(tmp_path: Path) -> None:
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        run = stack.evaluator()
        firing_everywhere(stack)
        with stalled([run.pid]):
            outage(stack, time.monotonic())
        for room in ROOMS:
            stack.wait_titles(room, RESTORED, 1)
        stack.wait(lambda: len(stack.active()) == 8, "the 8 alerts firing again in Alertmanager")
        stack.wait(lambda: stack.held() == 0, "no resolution held any more")
        run.wait_cycles(5, stack.logs)
        stack.wait_truth(healed=set())
        messages, told = stack.messages(), stack.told()

    assert_told_truly(told, healed=set())  # nothing resolved, nothing twice
    for room in ROOMS:
        titles = told_in(messages, room)
        assert sorted(t for t in titles if "Disk usage" in t) == FIRED, titles
        assert_blind_once_and_restored_once(titles)


def test_an_alertmanager_stalled_longer_than_ends_at_loses_nothing_and_resolves_only_the_healed(tmp_path: Path) -> None:
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        run = stack.evaluator()
        firing_everywhere(stack)
        hung = stack.alertmanagers[0]
        stall_while_a2_heals(stack, [hung.pid])
        stack.wait(lambda: len(hung.alerts()) == 7, "the stalled Alertmanager has the 7 firing alerts again")
        stack.wait(lambda: stack.held() == 0, "no resolution held any more")
        run.wait_cycles(10, stack.logs)
        stack.wait_truth(healed={"a2"})
        messages, told = stack.messages(), stack.told()

    assert_a2_healed_and_nothing_else(messages, told)


def test_an_alertmanager_killed_and_restarted_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    """Alertmanager keeps no alerts across a restart: the restarted one learns them from the bridge's
    re-sends, and what was notified from its peer's notification log."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        run = stack.evaluator()
        firing_everywhere(stack)
        lost = stack.alertmanagers[1]
        lost.kill()
        killed = time.monotonic()
        stack.feeder.healthy = {"a2"}
        for room in ROOMS:
            stack.wait_titles(room, HEALED, 1)
        stack.wait(lambda: time.monotonic() - killed >= VALID_FOR, "an Alertmanager down for an alert lifetime")
        lost.relaunch()
        stack.wait(lambda: len(lost.alerts()) == 7, "the restarted Alertmanager has the 7 firing alerts")
        run.wait_cycles(10, stack.logs)
        stack.wait_truth(healed={"a2"})
        messages, told = stack.messages(), stack.told()

    assert_a2_healed_and_nothing_else(messages, told)


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(20.0, id="longer-than-blind_after"),  # its workers run on, their lookouts woken late
        pytest.param(35.0, id="longer-than-gunicorn-timeout"),  # the master may replace its workers
    ],
)
def test_a_receiver_stalled_loses_nothing_and_says_nothing_of_blindness(tmp_path: Path, seconds: float) -> None:
    """Blind after 15 s; gunicorn's worker timeout is 30 s. The heartbeats sent during the stall wait in
    the receiver's socket: it has not listened for ``blind_after`` when it runs again."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        run = stack.evaluator()
        firing_everywhere(stack)
        stall_while_a2_heals(stack, stack.receiver.pids(), seconds)
        for room in ROOMS:
            stack.wait_titles(room, HEALED, 1)
        run.wait_cycles(10, stack.logs)
        stack.wait_truth(healed={"a2"})
        messages, told = stack.messages(), stack.told()

    assert_a2_healed_and_nothing_else(messages, told)
