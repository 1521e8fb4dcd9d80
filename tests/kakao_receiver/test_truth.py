"""What rooms are told, in the Flask test client: no status change swallowed, expiries held, blindness said once.

The lookout's passes are run by hand (``look()``) with a test clock; Alertmanager's active
alerts come from a stand-in object here (the real Alertmanager pair is in ``tests/khp/``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver._ledger import Ledger
from kakao_receiver._lookout import Lookout
from kakao_receiver._settings import receiver_settings
from kakao_receiver._statefile import StateFile
from khp.configuration import ConfigError, format_time

from .samples import alert
from .test_app import NOW, Clock, Harness, body, fail_on_full_messages, project


class Active:
    """Alertmanager's active alerts, as the lookout asks for them; ``None`` when no Alertmanager answers."""

    def __init__(self, fingerprints: set[str] | None = None) -> None:
        self.found = fingerprints
        self.asked = 0

    def fingerprints(self) -> frozenset[str] | None:
        self.asked += 1
        return None if self.found is None else frozenset(self.found)

    def close(self) -> None:
        pass


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    made = Harness(project(tmp_path, receiver={"blind_after": "5m"}), Clock())
    yield made
    made.receiver.close()


def lookout(harness: Harness, active: Active) -> Lookout:
    found = harness.receiver.lookout
    assert found is not None
    found.alertmanager = active  # type: ignore[assignment]
    return found


def delivered(harness: Harness) -> list[tuple[str, str]]:
    """(room target, title) of everything sent so far, delivering what is due first."""
    courier = harness.receiver.courier
    while courier.deliver_one():
        pass
    return [(target, payload["title"]) for target, payload in harness.channel.sent]


def heartbeat(at: float, status: str = "firing") -> dict[str, Any]:
    """The webhook Alertmanager sends the receiver khp-heartbeat about the evaluator's heartbeat."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="Heartbeat"}',
        "truncatedAlerts": 0,
        "receiver": "khp-heartbeat",
        "status": status,
        "externalURL": "http://127.0.0.1:9093",
        "groupLabels": {"alertname": "Heartbeat"},
        "commonLabels": {"alertname": "Heartbeat", "monitor": "khp", "severity": "none"},
        "commonAnnotations": {},
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "Heartbeat", "monitor": "khp", "severity": "none"},
                "annotations": {"description": "khp is evaluating", "at": format_time(at)},
                "startsAt": format_time(at),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "f0f0f0f0f0f0f0f0",
            }
        ],
    }


def firing(host: str = "a-ov1") -> dict[str, Any]:
    return body(alerts=[alert(host=host)])


def resolution(host: str = "a-ov1", by: str | None = "evaluator") -> dict[str, Any]:
    """A resolution; ``by`` the bridge's mark (``None``: Alertmanager's own, on expiry)."""
    gone = alert(host=host, status="resolved", ends="2026-11-29T06:45:25Z")
    if by is not None:
        gone["annotations"]["resolved_by"] = by
    return body(status="resolved", alerts=[gone])


# -- a change of status is never a duplicate ------------------------------------------------------


def test_a_problem_that_resolves_and_fires_again_soon_is_told_both_times(harness: Harness) -> None:
    first = harness.post(firing())
    harness.clock.now += 10
    assert harness.post(resolution()).json["status"] == "accepted"
    harness.clock.now += 60
    again = harness.post(firing())  # same labels and startsAt: the very notification of the first FIRING

    assert again.json["status"] == "accepted" and again.json["id"] != first.json["id"]
    assert delivered(harness) == [
        ("c1", "[심각] alpha: Task slot usage"),
        ("c2", "[심각] alpha: Task slot usage"),
        ("c1", "[해소됨] alpha: Task slot usage"),
        ("c2", "[해소됨] alpha: Task slot usage"),
        ("c1", "[심각] alpha: Task slot usage"),
        ("c2", "[심각] alpha: Task slot usage"),
    ]


def test_only_an_exact_repeat_to_the_same_room_is_left_out(harness: Harness) -> None:
    harness.post(firing("a-ov1"))
    harness.clock.now += 30
    both = harness.post(body(alerts=[alert(host="a-ov1"), alert(host="a-ov2")]))  # a-ov2 joins the group

    assert both.json["status"] == "accepted"
    delivered(harness)
    (last, *_) = [payload for target, payload in reversed(harness.channel.sent) if target == "c1"]
    assert "a-ov2" in last["text"] and "a-ov1" not in last["text"]  # the room was already told of a-ov1
    assert harness.post(body(alerts=[alert(host="a-ov1"), alert(host="a-ov2")])).json["status"] == "duplicate"


def test_a_retry_whose_ledger_entry_was_lost_is_stored_once(harness: Harness) -> None:
    harness.post(firing())
    harness.clock.now += 10
    harness.post(resolution())
    resolved_at = harness.clock.now
    harness.clock.now += 60
    refire = harness.post(firing())
    rows = len(harness.receiver.outbox.rows())
    # the ledger is written in the outbox's transaction; were it to lose that entry, the retry still is stored once
    ledger = harness.receiver.intake.ledger  # type: ignore[union-attr]
    ledger.record(
        [(room, alert(host="a-ov1")["fingerprint"], "resolved") for room in ("rec:c1", "rec:c2")], resolved_at
    )

    again = harness.post(firing())  # Alertmanager retries: it got no answer

    assert refire.json["status"] == "accepted"
    assert (again.json["status"], again.json["id"]) == ("duplicate", refire.json["id"])
    assert len(harness.receiver.outbox.rows()) == rows


# -- the heartbeat, and resolutions Alertmanager made on its own -----------------------------------


def test_a_heartbeat_is_noted_and_sends_nothing(harness: Harness) -> None:
    answer = harness.post(heartbeat(NOW - 20))

    assert answer.status_code == 200 and answer.json["status"] == "heartbeat" and answer.json["rooms"] == []
    assert harness.receiver.outbox.rows() == []
    watch = harness.receiver.intake.watch  # type: ignore[union-attr]
    assert watch.sight().last_beat == NOW - 20
    harness.post(heartbeat(NOW - 80))  # Alertmanager repeating an older one never moves it back
    assert watch.sight().last_beat == NOW - 20


def test_before_any_heartbeat_a_resolution_is_delivered_as_it_comes(harness: Harness) -> None:
    harness.post(firing())
    assert harness.post(resolution(by=None)).json["status"] == "accepted"
    assert [title for _, title in delivered(harness)][-1] == "[해소됨] alpha: Task slot usage"


def test_an_expiry_is_held_and_a_fire_again_drops_it_without_a_second_firing(harness: Harness) -> None:
    harness.post(heartbeat(NOW))
    harness.post(firing())
    harness.clock.now += 300
    held = harness.post(resolution(by=None))  # the evaluator stopped: Alertmanager ended the alert
    assert held.json["status"] == "held"
    assert harness.receiver.intake.holding.count() == 2  # type: ignore[union-attr]  # one per room

    harness.clock.now += 60
    again = harness.post(firing())  # the evaluator is back and sends it firing, as before

    assert again.json["status"] == "duplicate"
    assert harness.receiver.intake.holding.count() == 0  # type: ignore[union-attr]
    assert delivered(harness) == [("c1", "[심각] alpha: Task slot usage"), ("c2", "[심각] alpha: Task slot usage")]


def test_a_resolution_from_the_evaluator_is_never_held(harness: Harness) -> None:
    harness.post(heartbeat(NOW))
    harness.post(firing())
    assert harness.post(resolution(by="evaluator")).json["status"] == "accepted"


def test_an_ending_for_lack_of_data_says_no_data_not_resolved(harness: Harness) -> None:
    harness.post(heartbeat(NOW))
    harness.post(firing())
    harness.post(resolution(by="no data"))
    titles = [title for target, title in delivered(harness) if target == "c1"]
    assert titles == ["[심각] alpha: Task slot usage", "[데이터 없음] alpha: Task slot usage"]
    text = harness.channel.sent[-1][1]["text"]
    assert "데이터가 없어 종료 (해소 아님)" in text


# -- the lookout: blind, settle, restored -----------------------------------------------------------


def test_blind_once_then_the_truth_then_restored_once(harness: Harness) -> None:
    active = Active({"stand-in"})
    watch = lookout(harness, active)
    harness.post(heartbeat(NOW))
    for host in ("a-ov1", "a-ov2", "a-ov3"):
        harness.post(firing(host))
    watch.look()
    assert delivered(harness)[-1] == ("c2", "[심각] alpha: Task slot usage")
    before = len(harness.channel.sent)

    harness.clock.now += 301  # five minutes and a second without a heartbeat
    watch.look()
    watch.look()
    harness.clock.now += 60
    for host in ("a-ov1", "a-ov2", "a-ov3"):  # Alertmanager ends them: their endsAt passed
        assert harness.post(resolution(host, by=None)).json["status"] == "held"
    watch.look()
    blind = delivered(harness)[before:]
    assert blind == [
        ("c1", "[심각] 모니터링 불능: 11월 29일 19:00 KST부터 평가기 응답 없음"),
        ("c2", "[심각] 모니터링 불능: 11월 29일 19:00 KST부터 평가기 응답 없음"),
    ]
    assert active.asked == 0  # blind: nothing is settled until the evaluator speaks

    harness.clock.now += 120
    active.found = {alert(host="a-ov2")["fingerprint"]}  # still firing; a-ov1 and a-ov3 healed meanwhile
    harness.post(heartbeat(harness.clock.now - 5))
    watch.look()
    watch.look()
    after = delivered(harness)[before + 2 :]
    assert after[:2] == [("c1", "[해소됨] alpha: Task slot usage 2건"), ("c2", "[해소됨] alpha: Task slot usage 2건")]
    assert after[2:] == [
        ("c1", "[복구] 모니터링 재개 (11월 29일 19:00 KST부터 7분 56초 동안 불능)"),
        ("c2", "[복구] 모니터링 재개 (11월 29일 19:00 KST부터 7분 56초 동안 불능)"),
    ]
    assert "해소 2건을 확인해 보냈고, 1건은 아직 발생 중" in harness.channel.sent[-1][1]["text"]
    assert harness.receiver.intake.holding.count() == 0  # type: ignore[union-attr]
    watch.look()
    harness.clock.now += 30
    watch.look()
    assert len(delivered(harness)) == before + 6  # nothing twice


def test_a_receiver_that_did_not_run_waits_blind_after_again_before_saying_blind(harness: Harness) -> None:
    """Stopped or suspended, it heard nothing; the heartbeats sent meanwhile are still queued in its socket."""
    watch = lookout(harness, Active(set()))
    harness.post(heartbeat(NOW))
    watch.look()
    before = len(delivered(harness))

    harness.clock.now += 301  # the process did not run for five minutes
    watch.woke(301)
    watch.look()
    assert len(delivered(harness)) == before  # it has not listened for blind_after yet
    harness.post(heartbeat(harness.clock.now - 1))  # the queued heartbeat, read now
    harness.clock.now += 200
    watch.look()
    assert len(delivered(harness)) == before

    harness.clock.now += 301  # and now the evaluator is silent
    watch.look()
    assert [title for _, title in delivered(harness)[before:]] == [
        "[심각] 모니터링 불능: 11월 29일 19:05 KST부터 평가기 응답 없음"
    ] * 2


def test_a_heartbeat_that_comes_late_restores_once_and_does_not_make_it_blind_again_at_once(harness: Harness) -> None:
    """After a partition, Alertmanager may first deliver an old notification it was retrying: its beat
    is newer than the blindness but nearly ``blind_after`` old. Silence counts from when it came."""
    watch = lookout(harness, Active(set()))
    harness.post(heartbeat(NOW))
    watch.look()
    before = len(delivered(harness))
    harness.clock.now += 301
    watch.look()  # blind since NOW
    harness.clock.now += 299
    harness.post(heartbeat(NOW + 310))  # sent 290 s ago, heard only now
    watch.look()
    harness.clock.now += 20  # 310 s after that beat was sent, 20 s after it was heard
    watch.look()
    titles = [title for _, title in delivered(harness)[before:]]
    assert [t.split(" (")[0] for t in titles] == [
        "[심각] 모니터링 불능: 11월 29일 19:00 KST부터 평가기 응답 없음"
    ] * 2 + ["[복구] 모니터링 재개"] * 2

    harness.clock.now += 290  # and now nothing new was heard for blind_after
    watch.look()
    assert [title for _, title in delivered(harness)[before + 4 :]] == [
        "[심각] 모니터링 불능: 11월 29일 19:05 KST부터 평가기 응답 없음"
    ] * 2


def test_the_lookout_thread_notices_a_pass_much_later_than_its_poll(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    watch = lookout(harness, Active(set()))
    watch.poll = 0.01
    woke: list[float] = []
    watch.woke = woke.append  # type: ignore[method-assign]
    watch.start()
    try:
        time.sleep(0.2)
        assert woke == []  # passes on time
        harness.clock.now += 60  # as if the process had been stopped for a minute
        deadline = time.monotonic() + 10
        while not woke and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        watch.stop()
    assert woke and woke[0] >= 60


def test_held_resolutions_wait_while_no_alertmanager_answers(harness: Harness) -> None:
    active = Active(None)
    watch = lookout(harness, active)
    harness.post(heartbeat(NOW))
    harness.post(firing())
    harness.clock.now += 200
    harness.post(resolution(by=None))
    harness.clock.now += 10
    harness.post(heartbeat(harness.clock.now))  # the evaluator speaks; it did not renew the alert
    watch.look()
    assert active.asked == 1 and harness.receiver.intake.holding.count() == 2  # type: ignore[union-attr]
    active.found = set()
    watch.look()
    assert active.asked == 1  # asks again only after a while, not every pass
    harness.clock.now += 31
    watch.look()
    assert harness.receiver.intake.holding.count() == 0  # type: ignore[union-attr]
    assert [title for _, title in delivered(harness)][-2:] == ["[해소됨] alpha: Task slot usage"] * 2


def test_a_confirmed_resolution_is_rendered_when_sent_and_goes_out_plain_if_it_cannot_be_made_in_full(
    harness: Harness,
) -> None:
    active = Active(set())
    watch = lookout(harness, active)
    harness.post(heartbeat(NOW))
    harness.post(firing())
    delivered(harness)
    harness.clock.now += 200
    assert harness.post(resolution(by=None)).json["status"] == "held"
    harness.clock.now += 10
    harness.post(heartbeat(harness.clock.now))
    fail_on_full_messages(harness.channel)
    watch.look()

    confirmed = [row for row in harness.receiver.outbox.rows() if row["state"] == "pending"]
    assert len(confirmed) == 2 and {row["payload"] for row in confirmed} == {""}  # rendered when sent, as a webhook's
    assert delivered(harness)[-2:] == [
        ("c1", "[해소됨] alpha: Task slot usage"),
        ("c2", "[해소됨] alpha: Task slot usage"),
    ]
    assert all("간단한 형식" in payload["text"] for _, payload in harness.channel.sent[-2:])
    assert [row["state"] for row in harness.receiver.outbox.rows()] == ["sent"] * 4


def test_no_blindness_before_the_evaluator_was_ever_heard(harness: Harness) -> None:
    watch = lookout(harness, Active(set()))
    harness.clock.now += 3600
    watch.look()
    assert delivered(harness) == []


def test_the_blind_message_speaks_english_too(tmp_path: Path) -> None:
    made = Harness(project(tmp_path, receiver={"language": "en"}), Clock())
    try:
        watch = lookout(made, Active(set()))
        made.post(heartbeat(NOW))
        made.clock.now += 301
        watch.look()
        assert delivered(made) == [
            ("c1", "[CRITICAL] monitoring is blind since 29 Nov 10:00 UTC (evaluator silent)"),
            ("c2", "[CRITICAL] monitoring is blind since 29 Nov 10:00 UTC (evaluator silent)"),
        ]
        (row, *_) = made.receiver.outbox.rows()
        notice = json.loads(row["payload"])
        assert notice["title"].startswith("[CRITICAL] monitoring is blind")
    finally:
        made.receiver.close()


def test_blind_after_has_a_default_and_must_outlast_the_heartbeat(tmp_path: Path) -> None:
    assert receiver_settings(project(tmp_path)).blind_after == 300
    assert receiver_settings(project(tmp_path, receiver={"blind_after": "10m"})).blind_after == 600
    with pytest.raises(ConfigError, match=r"receiver\.blind_after: must be longer than alertmanager.resend_interval"):
        receiver_settings(project(tmp_path, receiver={"blind_after": "2m"}))


class StaleOnce(Ledger):
    """A ledger read that misses what another process told the rooms just after it (a race)."""

    def __init__(self, state: StateFile, before: dict) -> None:
        super().__init__(state)
        self.stale: dict | None = before

    def told(self, rooms: Any, fingerprints: Any) -> dict:
        found, self.stale = self.stale, None
        return found if found is not None else super().told(rooms, fingerprints)


def test_what_another_process_told_the_rooms_meanwhile_is_not_told_again(harness: Harness) -> None:
    intake = harness.receiver.intake
    assert intake is not None
    harness.post(firing())
    stale = intake.ledger.told(["rec:c1", "rec:c2"], [alert(host="a-ov1")["fingerprint"]])
    harness.clock.now += 10
    harness.post(resolution())  # told by "the other process"
    intake.ledger = StaleOnce(intake.ledger.state, stale)  # this one read the ledger before that

    answer = harness.post(resolution())

    assert answer.json["status"] == "duplicate"
    assert [title for _, title in delivered(harness)].count("[해소됨] alpha: Task slot usage") == 2  # once a room
