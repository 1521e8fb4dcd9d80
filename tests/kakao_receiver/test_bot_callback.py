"""Reading KakaoWork callbacks into commands, the custom modal and OpenBuilder shapes: pure."""

from __future__ import annotations

from typing import Any

import pytest

from kakao_receiver.bot import (
    ChannelReply,
    InvalidCallback,
    InvalidSkillRequest,
    Mute,
    ParseError,
    StartMaintenance,
    button_command,
    modal_view,
    read_callback,
    read_skill_request,
    skill_answer,
    submission_command,
)
from kakao_receiver.channels.kakaowork import KakaoWorkChannel
from tests.standins.kakao import KakaoStandIn


def body(kind: str = "submit_action", **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "action_time": "2026-11-29T06:30:00.000Z",
        "message": {"id": "m1", "conversation_id": "7001", "text": "x"},
        "react_user_id": 1001,
        **fields,
    }


def test_a_submit_action_is_read_with_its_user_conversation_and_decoded_value() -> None:
    callback = read_callback(
        body(action_name="mute", value="check=Disk%3B%20usage%3D90%25;cluster=alpha;level=off;minutes=60")
    )
    assert (callback.type, callback.user, callback.conversation, callback.action_name) == (
        "submit_action",
        "1001",
        "7001",
        "mute",
    )
    assert dict(callback.value) == {"check": "Disk; usage=90%", "cluster": "alpha", "level": "off", "minutes": "60"}
    assert (callback.check, callback.cluster) == ("Disk; usage=90%", "alpha")


@pytest.mark.parametrize(
    ("name", "value", "command"),
    [
        (
            "mute",
            "check=Too many tablets;cluster=alpha;level=off;minutes=60",
            Mute("Too many tablets", "alpha", "off", 3600, "카카오워크 알림 버튼"),
        ),
        (
            "mute",
            "check=Too many tablets;cluster=alpha;level=cri;minutes=60",
            Mute("Too many tablets", "alpha", "cri", 3600, "카카오워크 알림 버튼"),
        ),
        ("maintenance", "cluster=alpha;minutes=120", StartMaintenance("alpha", 7200, "카카오워크 알림 버튼")),
    ],
)
def test_buttons_become_commands(name: str, value: str, command: object) -> None:
    assert button_command(read_callback(body(action_name=name, value=value)), "ko") == command


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mute", "check=X;cluster=alpha;level=loud;minutes=60"),
        ("mute", "check=X;cluster=alpha;level=off"),
        ("mute", "cluster=alpha;level=off;minutes=60"),
        ("maintenance", "cluster=alpha;minutes=-5"),
        ("maintenance", "minutes=120"),
        ("reboot", "cluster=alpha"),
        ("custom", "check=X;cluster=alpha"),
    ],
)
def test_unreadable_buttons_become_a_polite_error(name: str, value: str) -> None:
    error = button_command(read_callback(body(action_name=name, value=value)), "en")
    assert isinstance(error, ParseError)
    assert error.text == f"I cannot handle this button ({name} {value})."


@pytest.mark.parametrize(
    ("inputs", "command"),
    [
        ({"what": "off", "duration": "2h", "reason": "작업"}, Mute("X", "alpha", "off", 7200, "작업")),
        ({"what": "cri", "duration": "1d", "reason": ""}, Mute("X", "alpha", "cri", 86400, "카카오워크 알림 버튼")),
        ({"what": "maintenance", "duration": "30m"}, StartMaintenance("alpha", 1800, "카카오워크 알림 버튼")),
    ],
)
def test_submissions_become_commands(inputs: dict[str, str], command: object) -> None:
    callback = read_callback(body("submission", value="check=X;cluster=alpha", actions=inputs))
    assert submission_command(callback, "ko") == command


def test_a_submission_without_a_duration_or_choice_is_an_error() -> None:
    no_time = read_callback(body("submission", value="check=X;cluster=alpha", actions={"what": "off"}))
    no_check = read_callback(body("submission", value="cluster=alpha", actions={"what": "off", "duration": "1h"}))
    assert isinstance(submission_command(no_time, "en"), ParseError)
    assert isinstance(submission_command(no_check, "en"), ParseError)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("not json object", "expected a JSON object"),
        (body("hover"), "unknown callback type 'hover'"),
        (body(react_user_id="abc"), "react_user_id must be KakaoWork's numeric user id"),
        (body(react_user_id=True), "react_user_id must be KakaoWork's numeric user id"),
        (body(value=12), "value must be a string"),
        (body("submission", actions=["what"]), "a submission's actions must be an object"),
    ],
)
def test_bodies_that_are_no_callbacks_are_refused(payload: Any, problem: str) -> None:
    with pytest.raises(InvalidCallback, match="^" + problem.replace("(", r"\(").replace(")", r"\)")):
        read_callback(payload)


def test_the_modal_offers_what_the_button_is_about_within_kakaoworks_limits() -> None:
    request = read_callback(body("request_modal", action_name="custom", value="check=X;cluster=alpha"))
    view = modal_view(request, "en", longest=86400)["view"]
    assert (view["title"], view["accept"], view["decline"], view["value"]) == (
        "Silence alerts",
        "Apply",
        "Cancel",
        "check=X;cluster=alpha",
    )
    selects = {b["name"]: b for b in view["blocks"] if b["type"] == "select"}
    assert [o["value"] for o in selects["what"]["options"]] == ["off", "cri", "maintenance"]
    assert [o["value"] for o in selects["duration"]["options"]][-1] == "1d"
    assert [o["text"] for o in selects["duration"]["options"]][:2] == ["30m", "1h"]
    assert all(len(b["text"]) <= 200 for b in view["blocks"] if b["type"] == "label")


def test_the_modal_of_a_cluster_button_offers_maintenance_only() -> None:
    request = read_callback(body("request_modal", value="cluster=alpha"))
    view = modal_view(request, "ko", longest=7 * 86400)["view"]
    selects = {b["name"]: b for b in view["blocks"] if b["type"] == "select"}
    assert [o["value"] for o in selects["what"]["options"]] == ["maintenance"]
    assert [o["value"] for o in selects["duration"]["options"]][-1] == "7d"
    assert view["blocks"][0]["text"] == "alpha"


def test_a_skill_request_gives_the_utterance_and_the_bot_user_key() -> None:
    asked = read_skill_request(
        {"userRequest": {"utterance": "상태 alpha", "user": {"id": "9f0c1a", "type": "botUserKey", "properties": {}}}}
    )
    assert (asked.utterance, asked.user) == ("상태 alpha", "9f0c1a")
    with pytest.raises(InvalidSkillRequest, match=r"userRequest\.user\.id is missing"):
        read_skill_request({"userRequest": {"utterance": "x", "user": {}}})


def test_a_skill_answer_is_simple_text_within_1000_characters() -> None:
    assert skill_answer("hi") == {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "hi"}}]}}
    long = skill_answer("가" * 1500)["template"]["outputs"][0]["simpleText"]["text"]
    assert len(long) == 1000 and long.endswith("…")


def test_channel_reply_sends_the_answer_to_the_conversation_in_the_background(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "alpha 점검 모드: 11월 29일 18:00 KST까지 (2시간).\n" + "가" * 600
    with KakaoStandIn() as kakao:
        reply = ChannelReply(KakaoWorkChannel({"base_url": kakao.url}, kakao.environ))
        reply("12345", text)
        reply("99999", "to a conversation KakaoWork does not know")
        reply.close()
        (sent,) = kakao.messages
    assert sent["conversation_id"] == "12345" and sent["text"] == text[:500]
    assert "".join(b["text"] for b in sent["blocks"]) == text and len(sent["blocks"]) == 2
    assert any("could not tell KakaoWork conversation 99999" in r.getMessage() for r in caplog.records)
