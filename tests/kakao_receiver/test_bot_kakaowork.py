"""KakaoWork's reactive callbacks (the alert message's buttons and the modal), against a real Alertmanager.

The buttons pressed here are the ones the KakaoWork channel renders for an alert, so the bot
reads exactly what the messages send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver._content import compose
from kakao_receiver.channels.kakaowork import KakaoWorkChannel
from tests.realparts.alertmanager import AlertmanagerServer, running_alertmanager, webhook_config
from tests.realparts.prometheus import free_port

from .samples import alert, webhook
from .test_bot_helpers import (
    BOT,
    CALLBACK_SECRET,
    CONVERSATION,
    WORK_OPS,
    WORK_STRANGER,
    World,
    bot_world,
    epoch,
    expire_all,
    kakaowork,
    live,
    matchers,
)


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    config = webhook_config("http://127.0.0.1:9/hook", inhibit_warning_by_critical=False)
    with running_alertmanager(tmp_path_factory.mktemp("am"), config) as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, am: AlertmanagerServer) -> Iterator[World]:
    with bot_world(tmp_path, am.url) as made:
        yield made
    expire_all(am)


def message_buttons(language: str = "ko") -> dict[str, dict[str, Any]]:
    """The reactive buttons of a KakaoWork alert message about 'Too many tablets' on alpha, by label."""
    content = compose(webhook(alert(check="Too many tablets", cluster="alpha", severity="warning")), language)
    blocks = KakaoWorkChannel({}, {"KHP_KAKAOWORK_APP_KEY": "key"}).render(content)["blocks"]
    found = [e for b in blocks if b["type"] == "action" for e in b["elements"]]
    return {e["text"]: e for e in found if e["action_type"] in ("submit_action", "call_modal")}


def press(world: World, label: str, user: str = WORK_OPS) -> Any:
    """Press the message's button ``label`` as KakaoWork does: a submit_action callback."""
    button = message_buttons()[label]
    assert button["action_type"] == "submit_action"
    body = kakaowork("submit_action", user, action_name=button["action_name"], value=button["value"])
    return world.callback(body)


def acknowledged(response: Any) -> None:
    assert response.status_code == 200
    assert response.get_json() == {}


def test_the_message_has_the_buttons_the_bot_reads() -> None:
    buttons = message_buttons()
    assert {label: (b["action_type"], b["action_name"]) for label, b in buttons.items()} == {
        "1시간 끄기": ("submit_action", "mute"),
        "심각만 받기 1시간": ("submit_action", "mute"),
        "점검 2시간": ("submit_action", "maintenance"),
        "기간 지정…": ("call_modal", "custom"),
    }


def test_mute_1h_turns_the_check_off_for_an_hour(world: World, am: AlertmanagerServer) -> None:
    acknowledged(press(world, "1시간 끄기"))

    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Too many tablets", "cluster": "alpha"}
    assert silence["createdBy"] == f"kakaowork:{WORK_OPS}"
    assert silence["comment"] == "[khp off] 카카오워크 알림 버튼"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 3600, abs=0.002)
    ((conversation, text),) = world.replies
    assert (
        conversation == CONVERSATION
        and text.startswith("'Too many tablets' (alpha) 알림을 끕니다")
        and "(1시간)" in text
    )
    (event,) = world.events
    assert (event.kind, event.actor, event.channel, event.room) == (
        "action",
        f"kakaowork:{WORK_OPS}",
        "kakaowork",
        CONVERSATION,
    )
    assert (event.check, event.cluster) == ("Too many tablets", "alpha") and silence["id"] in event.detail


def test_critical_only_1h_silences_the_warning(world: World, am: AlertmanagerServer) -> None:
    acknowledged(press(world, "심각만 받기 1시간"))

    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Too many tablets", "cluster": "alpha", "severity": "warning"}
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 3600, abs=0.002)
    assert "심각 알림만 받습니다" in world.replies[0][1]


def test_maintenance_2h_silences_the_cluster(world: World, am: AlertmanagerServer) -> None:
    acknowledged(press(world, "점검 2시간"))

    (silence,) = live(am)
    assert matchers(silence) == {"cluster": "alpha"}
    assert silence["comment"] == "[khp maintenance] 카카오워크 알림 버튼"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 7200, abs=0.002)
    assert world.replies[0][1].startswith("alpha 점검 모드: ")


def test_the_custom_button_opens_a_modal_with_choices_within_the_bounds(world: World) -> None:
    button = message_buttons()["기간 지정…"]
    response = world.callback(kakaowork("request_modal", action_name=button["action_name"], value=button["value"]))

    assert response.status_code == 200 and set(response.get_json()) == {"view"}
    view = response.get_json()["view"]
    assert set(view) == {"title", "accept", "decline", "value", "blocks"}
    assert (view["title"], view["accept"], view["decline"], view["value"]) == (
        "알림 조정",
        "적용",
        "취소",
        button["value"],
    )
    assert [b["type"] for b in view["blocks"]] == ["label", "label", "select", "label", "select", "label", "input"]
    assert view["blocks"][0]["text"] == "Too many tablets · alpha"
    what, duration, reason = view["blocks"][2], view["blocks"][4], view["blocks"][6]
    assert (what["name"], duration["name"], reason["name"]) == ("what", "duration", "reason")
    assert [o["value"] for o in what["options"]] == ["off", "cri", "maintenance"]
    assert [o["value"] for o in duration["options"]] == ["30m", "1h", "2h", "4h", "8h", "12h", "1d", "2d"]
    assert [o["text"] for o in duration["options"]][:3] == ["30분", "1시간", "2시간"]
    assert what["required"] and duration["required"] and not reason["required"]
    assert all(len(b.get("placeholder") or "") <= 50 for b in view["blocks"])
    assert world.events == []


def submit(world: World, user: str = WORK_OPS, **inputs: str) -> Any:
    """Submit the custom modal of the message's button with ``inputs``."""
    value = message_buttons()["기간 지정…"]["value"]
    return world.callback(kakaowork("submission", user, value=value, actions=inputs))


def test_submitting_the_modal_mutes_for_the_chosen_time_with_the_reason(world: World, am: AlertmanagerServer) -> None:
    acknowledged(submit(world, what="cri", duration="4h", reason="리밸런싱 중"))

    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Too many tablets", "cluster": "alpha", "severity": "warning"}
    assert silence["comment"] == "[khp cri] 리밸런싱 중"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 4 * 3600, abs=0.002)
    ((conversation, text),) = world.replies
    assert conversation == CONVERSATION and text.startswith("'Too many tablets' (alpha) 심각 알림만 받습니다")


def test_submitting_maintenance_silences_the_cluster(world: World, am: AlertmanagerServer) -> None:
    acknowledged(submit(world, what="maintenance", duration="1d", reason="랙 이전"))

    (silence,) = live(am)
    assert matchers(silence) == {"cluster": "alpha"}
    assert silence["comment"] == "[khp maintenance] 랙 이전"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 86400, abs=0.002)


def test_a_mute_longer_than_allowed_is_refused_in_the_reader_s_words(world: World, am: AlertmanagerServer) -> None:
    acknowledged(submit(world, what="off", duration="2d"))

    assert live(am) == []
    assert world.replies[0][1] == "너무 깁니다. 최대 1일까지 할 수 있으니 더 짧게 적어 주세요."
    assert "silences.max_mute" in world.events[-1].detail  # the operators' record keeps the key


def test_a_refused_kakaowork_user_changes_nothing(
    world: World, am: AlertmanagerServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="kakao_receiver.bot"):
        acknowledged(press(world, "점검 2시간", user=WORK_STRANGER))

    assert live(am) == []
    assert world.replies == [
        (
            CONVERSATION,
            "죄송합니다. alpha에서 이 작업을 할 권한이 없습니다."
            " 권한이 필요하면 관리자에게 ID kakaowork:4242를 알려 주세요.",
        )
    ]
    (event,) = world.events
    assert (event.actor, event.detail) == ("kakaowork:4242", "refused: maintenance 2h (not allowed on alpha)")
    assert any("refused kakaowork:4242" in r.getMessage() for r in caplog.records)


def test_a_refused_user_gets_a_notice_instead_of_the_form(world: World) -> None:
    button = message_buttons()["기간 지정…"]
    response = world.callback(
        kakaowork("request_modal", WORK_STRANGER, action_name=button["action_name"], value=button["value"])
    )

    view = response.get_json()["view"]
    assert [b["type"] for b in view["blocks"]] == ["label"]
    assert view["blocks"][0]["text"].startswith("죄송합니다. alpha에서 이 작업을 할 권한이 없습니다.")
    assert world.events[0].detail == "refused: open the silence form (not allowed on alpha)"


def test_an_unknown_button_is_answered_and_changes_nothing(world: World, am: AlertmanagerServer) -> None:
    acknowledged(world.callback(kakaowork("submit_action", action_name="reboot", value="cluster=alpha")))

    assert live(am) == []
    assert world.replies == [(CONVERSATION, "이 버튼은 처리할 수 없습니다 (reboot cluster=alpha).")]
    assert world.events == []


def test_a_down_alertmanager_is_told_to_the_conversation(tmp_path: Path) -> None:
    with bot_world(tmp_path, f"http://127.0.0.1:{free_port()}") as world:
        acknowledged(press(world, "1시간 끄기"))
    assert world.replies[0][1].startswith("Alertmanager가 응답하지 않았습니다. 잠시 후 다시 시도해 주세요.")


def test_the_callback_secret_is_checked_in_the_query(tmp_path: Path, am: AlertmanagerServer) -> None:
    bot = {**BOT, "callback_token_env": "KHP_TEST_CALLBACK_TOKEN"}
    body = kakaowork("submit_action", action_name="maintenance", value="cluster=alpha;minutes=120")
    with bot_world(tmp_path, am.url, bot, environ={"KHP_TEST_CALLBACK_TOKEN": "t0ken"}) as world:
        assert world.callback(body, query_string={"token": "wrong"}).status_code == 403
        assert world.callback(body).status_code == 403
        assert live(am) == [] and world.replies == []

        acknowledged(world.callback(body, query_string={"token": "t0ken"}))
    assert matchers(live(am)[0]) == {"cluster": "alpha"}
    expire_all(am)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"type": "submit_action", "action_name": "mute"}, "react_user_id must be KakaoWork's numeric user id"),
        ({"type": "click", "react_user_id": 1}, "unknown callback type 'click'"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_body_that_is_no_callback_is_a_400(world: World, body: Any, error: str) -> None:
    response = world.client.post("/kakaowork/callback", json=body, query_string={"token": CALLBACK_SECRET})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(error)
