"""Partitions end to end: the network between the parts cut for longer than an alert lives
(``endsAt``, 20 s here) while a disk heals, then mended. The parts talk through relays
(``truth_stack(relayed=True)``) that a test cuts: ``drop`` takes connections and passes nothing
(the senders wait for their timeouts), ``refuse`` resets them.

The receiver cannot tell a silent evaluator from a path that no longer brings its heartbeat, so
both partitions say "blind" and then "restored"; what each room must get besides is every host's
FIRING once and RESOLVED only for the host that healed (see ``assert_told_truly``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.realparts.alertmanager import require_alertmanager
from tests.realparts.relay import Cut, Relay

from .truth_stack import (
    BLIND,
    EVALUATION,
    HEALED,
    RESTORED,
    ROOMS,
    VALID_FOR,
    Stack,
    assert_a2_healed,
    assert_blind_once_and_restored_once,
    assert_told_truly,
    firing_everywhere,
    told_in,
    truth_stack,
)

pytestmark = pytest.mark.slow


def cut_while_a2_heals(stack: Stack, relays: list[Relay], mode: Cut) -> None:
    """``relays`` cut for 1.5 alert lifetimes; a2 heals at the start; blind said meanwhile."""
    for relay in relays:
        relay.cut(mode)
    started = time.monotonic()
    stack.feeder.healthy = {"a2"}
    for room in ROOMS:
        stack.wait_titles(room, BLIND, 1)
    stack.wait(lambda: time.monotonic() - started >= 1.5 * VALID_FOR, "a partition longer than endsAt")
    for relay in relays:
        relay.heal()


def assert_told(messages: list[tuple[str, str]], told: dict[tuple[str, str], list[str]]) -> None:
    assert_told_truly(told, healed={"a2"})
    for room in ROOMS:
        titles = told_in(messages, room)
        assert_a2_healed(titles)
        assert_blind_once_and_restored_once(titles)


def test_the_alertmanagers_cut_off_from_khp_lose_nothing_and_resolve_only_the_healed(tmp_path: Path) -> None:
    """Every path between khp's host and the Alertmanagers drops packets: the alerts expire there, and
    what healed meanwhile is known only from Alertmanager's expiry, which the receiver holds until the
    evaluator is heard again and then checks with Alertmanager."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION, relayed=True) as stack:
        assert stack.links is not None
        run = stack.evaluator()
        firing_everywhere(stack)
        cut_while_a2_heals(stack, stack.links.all(), "drop")
        for room in ROOMS:
            stack.wait_titles(room, RESTORED, 1)
            stack.wait_titles(room, HEALED, 1)
        stack.wait(lambda: len(stack.active()) == 7, "the 7 alerts firing again in Alertmanager")
        stack.wait(lambda: stack.held() == 0, "no resolution held any more")
        run.wait_cycles(5, stack.logs)
        stack.wait_truth(healed={"a2"})
        messages, told = stack.messages(), stack.told()

    assert_told(messages, told)


def test_the_receiver_cut_off_from_the_alertmanagers_loses_nothing_and_resolves_only_the_healed(
    tmp_path: Path,
) -> None:
    """Only the Alertmanagers' webhooks are refused: the alerts stay firing there and the evaluator's
    resolution waits in Alertmanager until the receiver can be reached."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION, relayed=True) as stack:
        assert stack.links is not None
        run = stack.evaluator()
        firing_everywhere(stack)
        cut_while_a2_heals(stack, [stack.links.receiver], "refuse")
        for room in ROOMS:
            stack.wait_titles(room, RESTORED, 1)
            stack.wait_titles(room, HEALED, 1)
        run.wait_cycles(5, stack.logs)
        stack.wait_truth(healed={"a2"})
        messages, told = stack.messages(), stack.told()

    assert_told(messages, told)
