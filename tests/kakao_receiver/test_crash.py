"""Killing the receiver (SIGKILL to the gunicorn master and both workers) loses no message.

What "repeats none" can guarantee: a message is marked sent in the step right after the channel
accepted it. Only a message whose send was in flight when the process died can be sent twice:
it stays pending, and after its lease another worker sends it again. Everything else, accepted
but not yet sent, or sent and marked, goes out exactly once after the restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kakao_receiver._outbox import Outbox
from tests.realparts.prometheus import free_port
from tests.standins.kakao import KakaoStandIn

from .test_gunicorn import Gunicorn, notification, receiver_project, sent_titles, wait_until

pytestmark = pytest.mark.slow


def test_killed_between_accept_and_delivery_every_message_goes_out_once_after_restart(tmp_path: Path) -> None:
    port = free_port()
    down = f"http://127.0.0.1:{free_port()}"  # Kakao is unreachable: nothing listens there
    config = receiver_project(tmp_path, down, port=port, timeout=2, delivery={"lease": "3s"})
    outbox = Outbox(tmp_path / "var" / "khp-outbox.db")

    with KakaoStandIn() as kakao:
        first = Gunicorn(config, port, kakao.environ).start()
        try:
            answers = [first.post(notification(index)) for index in range(5)]
            assert [a.json()["status"] for a in answers] == ["accepted"] * 5
            wait_until(lambda: all(r["attempts"] >= 1 for r in outbox.rows()), "every row tried against the dead URL")
        finally:
            first.kill9()
        assert outbox.counts() == {"pending": 10, "sent": 0, "dead": 0, "expired": 0, "failed": 0}

        receiver_project(tmp_path, kakao.url, port=port, timeout=2, delivery={"lease": "3s"})  # Kakao is back
        with Gunicorn(config, port, kakao.environ):
            wait_until(lambda: outbox.counts()["sent"] == 10, "the 10 messages sent after the restart")

        expected = sorted((room, f"[CRITICAL] alpha: Check {i}") for i in range(5) for room in ("12345", "67890"))
        assert sorted(sent_titles(kakao)) == expected
        assert len(kakao.requests_to("kakaowork")) == 10
    assert "connect" in first.log()  # the first run did fail to reach Kakao


def test_killed_during_delivery_only_the_sends_in_flight_are_sent_again(tmp_path: Path) -> None:
    port = free_port()
    outbox = Outbox(tmp_path / "var" / "khp-outbox.db")

    with KakaoStandIn() as kakao:
        config = receiver_project(tmp_path, kakao.url, port=port, timeout=8, delivery={"lease": "9s", "workers": 2})
        kakao.hang("kakaowork")
        first = Gunicorn(config, port, kakao.environ).start()
        try:
            for index in range(10):
                assert first.post(notification(index, receiver="khp-warning", severity="warning")).status_code == 200
            # 2 processes x 2 threads: four sends hang in Kakao, unanswered, when the receiver dies
            wait_until(lambda: len(kakao.requests_to("kakaowork")) == 4, "four sends in flight")
        finally:
            first.kill9()
            in_flight = len(kakao.requests_to("kakaowork"))
            kakao.release()
        rows = outbox.rows()
        assert {r["state"] for r in rows} == {"pending"} and sum(r["attempts"] for r in rows) == in_flight

        with Gunicorn(config, port, kakao.environ):
            wait_until(lambda: outbox.counts()["sent"] == 10, "the 10 messages sent after the restart")

        titles = sent_titles(kakao)
        assert sorted(titles) == sorted(("12345", f"[WARNING] alpha: Check {i}") for i in range(10))
        requests = kakao.requests_to("kakaowork")
        # each message reached Kakao once, plus once more for each send that was in flight at the kill:
        # had Kakao processed those before the kill, they would be the (documented) repeats
        assert len(requests) == 10 + in_flight
        assert sum(r.status == 0 for r in requests) == in_flight
        assert max(r["attempts"] for r in outbox.rows()) == 2
