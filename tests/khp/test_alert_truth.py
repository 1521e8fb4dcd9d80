"""Alert truth end to end: ``khp run``, a real Alertmanager HA pair, the receiver under gunicorn and the
Kakao stand-in, counting the messages each room gets.

Eight hosts (four in alpha, four in beta) have full disks: two groups, each a message to both
critical rooms. Alerts are valid 20 s (``endsAt``); the receiver is blind after 15 s without a
heartbeat. Outages are measured in those units, not in wall-clock minutes.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from khp.configuration import format_time
from tests.realparts.alertmanager import require_alertmanager

from .truth_stack import (
    BLIND,
    EVALUATION,
    FIRING,
    HOSTS,
    RESTORED,
    ROOMS,
    VALID_FOR,
    Stack,
    alerts_told,
    assert_blind_once_and_restored_once,
    assert_told_truly,
    firing_everywhere,
    outage,
    told_in,
    truth_stack,
)

pytestmark = pytest.mark.slow


def a1_alert(starts: float, ends: float | None = None, **more: str) -> dict[str, Any]:
    """a1's disk alert as the bridge posts it: firing, or resolved at ``ends``; ``more`` annotations."""
    labels = {
        "alertname": "Disk usage",
        "monitor": "DiskMonitor",
        "cluster": "alpha",
        "host": "a1",
        "service": "disks",
        "severity": "critical",
    }
    notes = {"description": "Data disk almost full", "value": "97", "threshold": "90", "compare": ">", **more}
    alert: dict[str, Any] = {"labels": labels, "annotations": notes, "startsAt": format_time(starts)}
    if ends is not None:
        alert["endsAt"] = format_time(ends)
    return alert


def duplicates_answered(stack: Stack) -> int:
    return stack.receiver.log().count("duplicate notification")


def test_an_evaluator_outage_longer_than_ends_at_says_blind_and_restored_and_resolves_nothing(tmp_path: Path) -> None:
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        first = stack.evaluator()
        firing_everywhere(stack)
        first.stop(signal.SIGKILL)
        outage(stack, time.monotonic())
        repeats_before = duplicates_answered(stack)

        stack.evaluator("khp-run-again")
        for room in ROOMS:
            stack.wait_titles(room, RESTORED, 1)
        stack.wait(lambda: len(stack.active()) == 8, "the 8 alerts firing again in Alertmanager")
        # Alertmanager sends both groups firing again; the receiver answers that the rooms know already
        stack.wait(lambda: duplicates_answered(stack) >= repeats_before + 2, "the FIRING again answered duplicate")
        stack.wait(lambda: stack.held() == 0, "no resolution held any more")
        messages = stack.messages()

    for room in ROOMS:
        titles = told_in(messages, room)
        assert [t for t in titles if t.startswith("[RESOLVED]")] == []
        assert sorted(t for t in titles if "Disk usage" in t) == [
            "[CRITICAL] alpha: Disk usage (4 alerts)",
            "[CRITICAL] beta: Disk usage (4 alerts)",
        ]  # no FIRING twice
        assert_blind_once_and_restored_once(titles)
        assert titles.index(next(t for t in titles if BLIND in t)) < titles.index(
            next(t for t in titles if RESTORED in t)
        )


def test_problems_that_healed_during_the_outage_are_resolved_after_it_and_only_they(tmp_path: Path) -> None:
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        first = stack.evaluator()
        firing_everywhere(stack)
        first.stop(signal.SIGKILL)
        killed = time.monotonic()
        stack.feeder.healthy = {"a2", "b3"}  # two disks cleaned up while nobody watched
        outage(stack, killed)

        stack.evaluator("khp-run-again")
        for room in ROOMS:
            stack.wait_titles(room, RESTORED, 1)
        stack.wait(lambda: len(stack.active()) == 6, "the 6 alerts still firing in Alertmanager")
        stack.wait(lambda: stack.held() == 0, "no resolution held any more")
        sent = list(stack.kakao.messages)

    for room in ROOMS:
        mine = [m for m in sent if m["conversation_id"] == room]
        titles = [m["blocks"][1]["text"] for m in mine]
        resolved = [m for m in mine if m["blocks"][1]["text"].startswith("[RESOLVED]")]
        assert sorted(m["blocks"][1]["text"] for m in resolved) == [
            "[RESOLVED] alpha: Disk usage",
            "[RESOLVED] beta: Disk usage",
        ]
        told = " ".join(str(m["blocks"]) for m in resolved)
        assert "a2" in told and "b3" in told and not any(h in told for h in ("a1", "a3", "a4", "b1", "b2", "b4"))
        restored_at = next(i for i, t in enumerate(titles) if RESTORED in t)
        assert all(titles.index(m["blocks"][1]["text"]) < restored_at for m in resolved)  # the truth, then restored
        assert sum(BLIND in t for t in titles) == 1 and sum(RESTORED in t for t in titles) == 1
        assert sorted(t for t in titles if t.startswith("[CRITICAL]") and "Disk usage" in t) == [
            "[CRITICAL] alpha: Disk usage (4 alerts)",
            "[CRITICAL] beta: Disk usage (4 alerts)",
        ]


def test_a_feed_that_stops_while_its_source_is_healthy_resolves_nothing(tmp_path: Path) -> None:
    """Every host is told "No data" once per room, and its disk NO DATA (ended for lack of data), never
    RESOLVED. The alerts are counted, not the messages: a change may come in two messages, and the
    documented FIRING again (docs/operations.md, the HA pairs) is followed by its NO DATA again."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        run = stack.evaluator()
        firing_everywhere(stack)
        stack.feeder.running.clear()  # the store answers, but nothing new arrives

        for cluster in ("alpha", "beta"):
            for room in ROOMS:
                stack.wait_told(room, f"[CRITICAL] {cluster}: No data", 4)
                stack.wait_titles(room, f"[CRITICAL] {cluster}: Data stale", 1)
        stack.wait_truth(healed={host for hosts in HOSTS.values() for host in hosts})
        run.wait_cycles(5, stack.logs)
        messages, told = stack.messages(), stack.told()
        log = run.log()

    assert_told_truly(told, healed={host for hosts in HOSTS.values() for host in hosts})
    for room in ROOMS:
        titles = told_in(messages, room)
        assert [t for t in titles if t.startswith("[RESOLVED]")] == []
        for cluster in ("alpha", "beta"):  # its four hosts
            assert alerts_told(titles, f"[CRITICAL] {cluster}: No data") == 4, titles
            fired = alerts_told(titles, f"[CRITICAL] {cluster}: Disk usage")
            assert fired >= 4 and alerts_told(titles, f"[NO DATA] {cluster}: Disk usage") == fired, titles
        assert sum("Data stale" in t for t in titles) == 2, titles  # one per source and cluster, not one per alert
    assert "ended without data" in log


def test_a_problem_resolved_then_firing_again_a_minute_later_is_told_both_times(tmp_path: Path) -> None:
    """The same labels and startsAt, so Alertmanager's notification is the very first one again."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        am = stack.alertmanagers[0]
        starts = time.time()

        def post(ends: float | None, **more: str) -> None:
            for each in stack.alertmanagers:
                each.post_alerts([a1_alert(starts, ends, **more)])

        post(None)
        for room in ROOMS:
            stack.wait_titles(room, FIRING, 1)
        post(time.time(), resolved_by="evaluator")
        for room in ROOMS:
            stack.wait_titles(room, "[RESOLVED] alpha: Disk usage", 1)
        post(None)  # back, within the duplicate window, same startsAt
        for room in ROOMS:
            stack.wait_titles(room, FIRING, 2)
        am.wait_until(lambda server: server.alerts(), what="the alert firing")
        messages = stack.messages()

    for room in ROOMS:
        assert [t for to, t in messages if to == room] == [FIRING, "[RESOLVED] alpha: Disk usage", FIRING]


def test_an_alertmanager_the_resolution_has_not_reached_says_firing_again_then_resolved(tmp_path: Path) -> None:
    """The documented FIRING again (docs/operations.md, the HA pairs): the second Alertmanager still has the
    alert firing when the first has told its resolution, so its next flush sends the group's FIRING; the
    receiver delivers it (a change of status), and the RESOLVED follows when the resolution reaches it."""
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        first, second = stack.alertmanagers
        starts = time.time()
        firing, resolved = a1_alert(starts), a1_alert(starts, time.time(), resolved_by="evaluator")

        for each in stack.alertmanagers:
            each.post_alerts([firing])
        for room in ROOMS:
            stack.wait_titles(room, FIRING, 1)
        first.post_alerts([resolved])  # the second one is cut off from the bridge
        for room in ROOMS:
            stack.wait_titles(room, "[RESOLVED] alpha: Disk usage", 1)
            stack.wait_titles(room, FIRING, 2)
        second.post_alerts([resolved])  # and reached again
        for room in ROOMS:
            stack.wait_titles(room, "[RESOLVED] alpha: Disk usage", 2)
        time.sleep(3 * 2.0)  # three group intervals more: nothing else is said
        messages = stack.messages()

    for room in ROOMS:
        assert [t for to, t in messages if to == room] == [FIRING, "[RESOLVED] alpha: Disk usage"] * 2


def test_an_ha_pair_loses_no_alert_and_says_nothing_when_one_replica_is_killed(tmp_path: Path) -> None:
    require_alertmanager()
    with truth_stack(tmp_path, EVALUATION) as stack:
        first = stack.evaluator("replica-1")
        firing_everywhere(stack)
        second = stack.evaluator("replica-2")
        second.wait_cycles(5, stack.logs)
        told = stack.messages()
        counted = stack.stats()

        first.stop(signal.SIGKILL)
        second.wait_cycles(int(3 * VALID_FOR) + 10, stack.logs)  # longer than three alert lifetimes
        assert len(stack.active()) == 8  # the other replica kept every alert alive
        back = stack.evaluator("replica-1-again")
        back.wait_cycles(10, stack.logs)
        assert stack.messages() == told and stack.stats() == counted  # nothing said, nothing counted again

        stack.feeder.healthy = {"a1"}  # one transition while both run: both see it at the same instant
        stack.wait_truth(healed={"a1"})
        second.wait_cycles(5, stack.logs)
        back.wait_cycles(5, stack.logs)
        messages = stack.messages()
        after = stack.stats()
        alerts = stack.alertmanagers[0].alerts()

    assert messages[: len(told)] == told
    for room in ROOMS:  # a1's RESOLVED; the documented FIRING again, if it came, with its RESOLVED again
        titles = [title for to, title in messages[len(told) :] if to == room]
        again = titles.count("[CRITICAL] alpha: Disk usage")
        assert [t for t in titles if t != "[CRITICAL] alpha: Disk usage"] == ["[RESOLVED] alpha: Disk usage"] * (
            1 + again
        ), titles
    assert (after["detected"], after["fired"], after.get("resolved", 0)) == (8, 8, 1)
    assert counted["detected"] == counted["fired"] == 8
    assert len({alert["startsAt"] for alert in alerts}) == 1  # both replicas stamp the same instant
