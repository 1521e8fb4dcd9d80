"""Kakao down for an hour, refusals, dead letters: against the Kakao stand-in with a clock the test moves.

Nothing is lost and nothing arrives twice: the courier retries without a budget, backing off to
``max_backoff``; when KakaoWork answers again every waiting row goes out at once; a message
the API refuses goes out in a simpler form; one refused in every form is a loud dead letter.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver import Links, compose, parse_webhook
from kakao_receiver._deadletter import DeadLetterNotices
from kakao_receiver._delivery import Courier
from kakao_receiver._metrics import metrics_view
from kakao_receiver._outbox import Outbox
from kakao_receiver._settings import DeliverySettings
from kakao_receiver.channels.kakaotalk import KakaoTalkChannel
from kakao_receiver.channels.kakaowork import KakaoWorkChannel
from khp.history import HistoryEvent
from tests.standins.kakao import KakaoStandIn

from .test_app import NOW, Clock, body

SETTINGS = DeliverySettings(backoff=2.0, max_backoff=300.0, give_up_after=86400.0, lease=60.0)
ROOMS = ("kakaowork:12345", "kakaowork:67890")


class World:
    def __init__(self, tmp_path: Path, kakao: KakaoStandIn, rooms: tuple[str, ...] = ROOMS) -> None:
        self.clock = Clock()
        self.kakao = kakao
        self.outbox = Outbox(tmp_path / "outbox.db", self.clock)
        self.events: list[HistoryEvent] = []
        self.channels: dict[str, Any] = {
            "kakaowork": KakaoWorkChannel({"base_url": kakao.url, "timeout": 5}, kakao.environ),
            "kakaotalk": KakaoTalkChannel({"base_url": kakao.url, "auth_url": kakao.url}, kakao.environ),
        }
        notices = DeadLetterNotices(self.outbox, self.channels, "en", Links(), clock=self.clock)
        self.courier = Courier(
            self.outbox, self.channels, SETTINGS, self.events.extend, clock=self.clock, on_dead=notices
        )
        self.rooms = rooms

    def accept(self, index: int) -> None:
        payload = body(groupKey=f"{{}}:{{n={index}}}")
        for alert in payload["alerts"]:
            alert["fingerprint"] = f"{index:04d}{alert['fingerprint']}"
            alert["labels"]["host"] = f"h{index}-{alert['labels']['host']}"  # each message its own text
        notification = parse_webhook(payload)
        content = compose(notification, "en", Links(), now=self.clock())
        rendered = {room: self.channels[room.partition(":")[0]].render(content) for room in self.rooms}
        self.outbox.accept(notification.id, notification.receiver, json.dumps(payload), rendered)

    def run_until(self, until: float) -> int:
        """Deliver everything due, moving the clock from one due time to the next, up to ``until``; tries made."""
        tries = 0
        while True:
            while self.courier.deliver_one():
                tries += 1
            due = self.outbox.next_due()
            if due is None or due > until:
                self.clock.now = max(self.clock.now, until)
                return tries
            self.clock.now = max(self.clock.now, due)


def test_an_hour_of_500s_then_recovery_every_message_arrives_exactly_once(tmp_path: Path) -> None:
    with KakaoStandIn() as kakao:
        world = World(tmp_path, kakao)
        kakao.outage("kakaowork", status=500)
        for index in range(20):
            world.accept(index)
            world.clock.now += 60  # a notification a minute during the first 20 minutes
            world.run_until(world.clock.now)
        tries = world.run_until(NOW + 3600)
        refused = len(kakao.requests_to("kakaowork"))

        assert kakao.messages == [] and world.outbox.counts()["pending"] == 40
        waits = [row["due"] - world.clock.now for row in world.outbox.rows()]
        assert max(waits) <= SETTINGS.max_backoff  # backed off to the cap, still trying

        kakao.recover("kakaowork")
        world.run_until(NOW + 3600 + SETTINGS.max_backoff)
        world.courier.record_finished()

    assert refused > 40 * 10 and tries > 0
    assert world.outbox.counts() == {"pending": 0, "sent": 40, "dead": 0, "expired": 0, "failed": 0}
    sent = sorted((m["conversation_id"], json.dumps(m["blocks"], ensure_ascii=False)) for m in kakao.messages)
    assert len(sent) == len(set(sent)) == 40  # every message once, none twice
    assert kakao.rejections == []
    delivered_at = [row["finished"] for row in world.outbox.rows()]
    assert max(delivered_at) - min(delivered_at) < 5  # the first answer re-drove every waiting row at once
    assert {e.kind for e in world.events} == {"notified"}


def test_a_refused_message_goes_out_in_a_simpler_form(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with KakaoStandIn() as kakao:
        world = World(tmp_path, kakao, rooms=("kakaowork:12345",))
        world.accept(1)
        kakao.error_next("kakaowork", "invalid_blocks")  # e.g. a rule the validator does not know yet

        world.run_until(NOW + 10)

    (row,) = world.outbox.rows()
    assert (row["state"], row["level"]) == ("sent", 1) and row["original"] is not None
    (message,) = kakao.messages
    assert message["blocks"] and all(block["type"] not in ("action", "button") for block in message["blocks"])
    assert any("sending a simpler form" in r.getMessage() for r in caplog.records)


def test_refused_in_every_form_is_a_loud_dead_letter_and_the_other_channel_is_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with KakaoStandIn() as kakao:
        world = World(tmp_path, kakao, rooms=("kakaowork:12345", "kakaotalk:oncall"))
        world.accept(1)
        kakao.error_next("kakaowork", "invalid_blocks", times=4)

        world.run_until(NOW + 60)
        world.courier.record_finished()
        scrape = _scrape(world)

        assert world.outbox.retry() == 1  # `khp outbox retry --all`: from its first form again
        world.run_until(NOW + 120)

    rows = {row["room"]: row for row in world.outbox.rows()}
    assert kakao.rejections == [] and len(kakao.messages) == 1  # sent by hand after the refusals stopped
    assert rows["kakaowork:12345"]["state"] == "sent" and rows["kakaowork:12345"]["level"] == 0
    notices = [memo["template"]["text"] for memo in kakao.memos if "NOT DELIVERED" in memo["template"]["text"]]
    assert len(notices) == 1 and "kakaowork:12345" in notices[0]
    assert len(kakao.memos) == 2  # the message itself, and the notice
    assert any(r.levelno == logging.ERROR and r.getMessage().startswith("DEAD LETTER") for r in caplog.records)
    assert 'khp_receiver_deliveries{channel="kakaowork",state="dead"} 1.0' in scrape
    assert [e.kind for e in world.events if e.room == "12345"] == ["failed", "failed"]  # one per alert


def test_a_message_that_breaks_a_rule_before_sending_is_simplified_not_sent_broken(tmp_path: Path) -> None:
    with KakaoStandIn() as kakao:
        world = World(tmp_path, kakao, rooms=("kakaowork:12345",))
        broken = {"text": "hello", "blocks": [{"type": "button", "text": "code", "style": "default",
                  "action_type": "open_system_browser", "value": "evaluator/monitors/zookeeper.py#L17"},
                  {"type": "text", "text": "zookeeper down", "markdown": False}]}  # fmt: skip
        world.outbox.accept("n1", "khp-critical", json.dumps(body()), {"kakaowork:12345": broken})
        world.run_until(NOW + 10)

    assert kakao.rejections == []
    assert kakao.messages[0]["blocks"] == [{"type": "text", "text": "zookeeper down", "markdown": False}]


def _scrape(world: World) -> str:
    from flask import Flask

    app = Flask("metrics-test")
    app.add_url_rule("/metrics", "metrics", metrics_view(world.outbox, world.clock))
    return app.test_client().get("/metrics").get_data(as_text=True)
