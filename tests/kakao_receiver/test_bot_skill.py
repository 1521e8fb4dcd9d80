"""Typed commands through the OpenBuilder skill endpoint, against a real Alertmanager."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realparts.alertmanager import AlertmanagerServer, running_alertmanager, webhook_config
from tests.realparts.prometheus import free_port

from .test_bot_helpers import (
    ALPHA_ONLY,
    BETA_VIEWER,
    BOT,
    OPS,
    SKILL_SECRET,
    STRANGER,
    HangingServer,
    World,
    bot_world,
    epoch,
    expire_all,
    live,
    matchers,
    simple_text,
)

SKILL_HEADERS = {"X-KHP-Bot-Token": SKILL_SECRET}


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


def test_maintenance_silences_the_cluster_until_the_end_with_the_reason(world: World, am: AlertmanagerServer) -> None:
    text = world.say("점검 alpha 2h 디스크 교체")

    (silence,) = live(am)
    assert matchers(silence) == {"cluster": "alpha"}
    assert silence["createdBy"] == OPS
    assert silence["comment"] == "[khp maintenance] 디스크 교체"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 7200, abs=0.002)
    assert "alpha 점검 모드" in text and "(2시간)" in text and "디스크 교체" in text and "점검해제 alpha" in text
    (event,) = world.events
    assert (event.kind, event.actor, event.cluster, event.check, event.channel) == (
        "action",
        OPS,
        "alpha",
        "",
        "kakaotalk",
    )
    assert event.detail.startswith("maintenance until ") and silence["id"] in event.detail


def test_english_maintenance_is_answered_in_english(world: World, am: AlertmanagerServer) -> None:
    text = world.say("maint beta 30m disk swap on b-dn3")

    (silence,) = live(am)
    assert matchers(silence) == {"cluster": "beta"}
    assert silence["comment"] == "[khp maintenance] disk swap on b-dn3"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 1800, abs=0.002)
    assert text.startswith("beta is in maintenance until ") and "(30m)" in text and "unmaint beta" in text


@pytest.mark.parametrize("utterance", ["점검해제 alpha", "점검 해제 alpha", "unmaint alpha"])
def test_ending_maintenance_expires_the_silence(world: World, am: AlertmanagerServer, utterance: str) -> None:
    world.say("점검 alpha 2시간 디스크 교체")
    (silence,) = live(am)

    text = world.say(utterance)

    assert live(am) == []
    _, state = am.request("GET", f"/api/v2/silence/{silence['id']}")
    assert state["status"]["state"] == "expired"
    assert text in ("alpha 점검 모드를 해제했습니다.", "alpha is out of maintenance.")
    assert silence["id"] in world.events[-1].detail and world.events[-1].detail.startswith("maintenance ended")


def test_ending_maintenance_of_a_quiet_cluster_says_so(world: World) -> None:
    assert world.say("점검해제 beta") == "beta은(는) 점검 중이 아닙니다."
    assert world.events[-1].detail == "maintenance ended: nothing to end"


def test_mute_cri_silences_only_the_warning_of_that_check(world: World, am: AlertmanagerServer) -> None:
    text = world.say('mute "Too many tablets" alpha cri 1d')

    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Too many tablets", "cluster": "alpha", "severity": "warning"}
    assert silence["createdBy"] == OPS
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 86400, abs=0.002)
    assert "'Too many tablets' (alpha) 심각 알림만 받습니다" in text and "(1일)" in text
    assert 'unmute "Too many tablets" alpha' in text
    event = world.events[-1]
    assert (event.check, event.cluster) == ("Too many tablets", "alpha")
    assert event.detail.startswith("mute cri until ") and silence["id"] in event.detail


def test_mute_off_silences_the_check_and_keeps_the_reason(world: World, am: AlertmanagerServer) -> None:
    text = world.say("mute “Too many tablets” alpha off 2시간 리밸런싱 중")

    (silence,) = live(am)
    assert matchers(silence) == {"alertname": "Too many tablets", "cluster": "alpha"}
    assert silence["comment"] == "[khp off] 리밸런싱 중"
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 7200, abs=0.002)
    assert "알림을 끕니다" in text


def test_muting_again_replaces_the_earlier_mute(world: World, am: AlertmanagerServer) -> None:
    world.say('mute "Failed tablets" beta off 1h')
    world.say('mute "Failed tablets" beta off 3h')

    (silence,) = live(am)
    assert epoch(silence["endsAt"]) == pytest.approx(world.now + 3 * 3600, abs=0.002)


def test_unmute_ends_the_mute(world: World, am: AlertmanagerServer) -> None:
    world.say('mute "Too many tablets" alpha cri 1d')

    text = world.say('unmute "Too many tablets" alpha')

    assert live(am) == []
    assert text == "'Too many tablets' (alpha) 뮤트를 해제했습니다."
    assert world.events[-1].detail.startswith("unmuted (silence ")
    assert world.say("unmute Too many tablets alpha") == "'Too many tablets' (alpha)은(는) 뮤트되어 있지 않습니다."


def test_status_lists_silences_and_firing_alerts_by_severity(world: World, am: AlertmanagerServer) -> None:
    am.post_alerts(
        [
            {"labels": {"alertname": "Failed tablets", "cluster": "beta", "host": "b1", "severity": "critical"}},
            {"labels": {"alertname": "Too many tablets", "cluster": "beta", "host": "b1", "severity": "warning"}},
            {"labels": {"alertname": "Too many tablets", "cluster": "beta", "host": "b2", "severity": "warning"}},
        ]
    )
    world.say('mute "Too many tablets" beta off 4h')
    am.wait_until(lambda server: len(server.alerts(cluster="beta")) == 3, what="beta's alerts")

    text = world.say("상태 beta", user=BETA_VIEWER)

    lines = text.splitlines()
    assert lines[0] == "beta 상태"
    assert lines[1].startswith("'Too many tablets' 끔: ") and lines[1].endswith(f"까지 · {OPS}")
    assert "• 심각 1건: Failed tablets" in lines
    assert "• 경고 2건: Too many tablets 2" in lines
    assert "(그중 2건은 사일런스·억제됨)" in lines
    assert world.events[-1].detail.startswith("mute off")  # reading is no action


def test_status_of_a_quiet_cluster_in_english(world: World) -> None:
    assert world.say("status alpha") == "alpha status\nNo maintenance or mutes\nNo firing alerts"


def test_status_of_an_unknown_cluster_suggests_a_close_one(world: World) -> None:
    assert world.say("상태 gamma") == "'gamma' 클러스터를 모릅니다 (클러스터 파일도, Alertmanager 알림도 없음)."
    assert world.say("상태 alpah").endswith(" 혹시 'alpha'인가요?")
    assert world.say("status alpah").endswith(" Did you mean 'alpha'?")


def test_a_refused_user_changes_nothing_and_is_told_politely(
    world: World, am: AlertmanagerServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="kakao_receiver.bot"):
        text = world.say("점검 alpha 2h 디스크 교체", user=STRANGER)

    assert live(am) == []
    assert text == (
        "죄송합니다. alpha에서 이 작업을 할 권한이 없습니다."
        " 권한이 필요하면 관리자에게 ID kakaotalk:stranger를 알려 주세요."
    )
    (event,) = world.events
    assert (event.kind, event.actor, event.cluster) == ("action", STRANGER, "alpha")
    assert event.detail == "refused: maintenance 2h (not allowed on alpha)"
    assert any(f"refused {STRANGER}: maintenance 2h on alpha" in r.getMessage() for r in caplog.records)


def test_a_per_cluster_allow_list_covers_that_cluster_only(world: World, am: AlertmanagerServer) -> None:
    world.say("mute 'Failed tablets' alpha off 1h", user=ALPHA_ONLY)
    refused = world.say("mute 'Failed tablets' beta off 1h", user=ALPHA_ONLY)

    (silence,) = live(am)
    assert matchers(silence)["cluster"] == "alpha" and silence["createdBy"] == ALPHA_ONLY
    assert "beta에서 이 작업을 할 권한이 없습니다" in refused
    assert [e.detail.split(" ")[0] for e in world.events] == ["mute", "refused:"]


def test_viewers_may_read_but_not_act_and_others_may_not_read(world: World, am: AlertmanagerServer) -> None:
    assert world.say("상태 beta", user=BETA_VIEWER).startswith("beta 상태")
    assert "권한이 없습니다" in world.say("점검 beta 1h 작업", user=BETA_VIEWER)
    assert world.say("상태 beta", user=STRANGER) == (
        "죄송합니다. beta의 상태를 볼 권한이 없습니다. 권한이 필요하면 관리자에게 ID kakaotalk:stranger를 알려 주세요."
    )
    assert live(am) == []
    assert [e.detail for e in world.events] == [
        "refused: maintenance 1h (not allowed on beta)",
        "refused: status (not allowed on beta)",
    ]


def test_help_is_open_to_everyone_and_tells_them_their_id(world: World) -> None:
    text = world.say("도움말", user=STRANGER)
    assert text.startswith("KHP 봇 명령") and text.endswith("내 ID: kakaotalk:stranger")
    assert world.say("help", user=STRANGER).endswith("Your id: kakaotalk:stranger")
    assert world.events == []


@pytest.mark.parametrize(
    ("utterance", "answer"),
    [
        ("점검 alpha", "기간을 적어 주세요 (30m, 2h, 1d, 2시간, 30분, 1일).\n사용법: 점검 <클러스터> <기간> <사유>"),
        ("점검 alpha 2h", "사유를 적어 주세요."),
        ('mute "Too many tablets"', "검사 이름과 클러스터를 적어 주세요."),
        ("재부팅 alpha", "'재부팅'은(는) 모르는 명령입니다.\n사용법: 점검, 점검해제"),
        ("maint alpha soon x", "'soon' is not a duration; write it like 30m, 2h, 1d or 1h30m.\nUsage: maint"),
    ],
)
def test_malformed_commands_get_the_usage_and_change_nothing(
    world: World, am: AlertmanagerServer, utterance: str, answer: str
) -> None:
    assert world.say(utterance).startswith(answer)
    assert live(am) == []
    assert world.events == []


def test_an_unknown_cluster_is_named_in_the_reader_s_language(world: World, am: AlertmanagerServer) -> None:
    assert world.say("점검 gamma 1h 작업") == "'gamma' 클러스터를 모릅니다."
    assert world.say("maint alpah 1h work") == "I do not know cluster 'alpah'. Did you mean 'alpha'?"
    assert live(am) == []
    assert world.events[-1].detail.startswith("failed: unknown cluster 'alpah'")


def test_an_unknown_check_gets_a_suggestion(world: World, am: AlertmanagerServer) -> None:
    text = world.say('mute "Too many tablet" alpha off 1h')
    assert text == "'Too many tablet' 검사를 모릅니다 (대소문자를 구분합니다). 혹시 'Too many tablets'인가요?"
    assert live(am) == []


@pytest.mark.parametrize(
    ("utterance", "answer"),
    [
        ("점검 alpha 3일 장비 이전", "너무 깁니다. 최대 2일까지 할 수 있으니 더 짧게 적어 주세요."),
        ("maint alpha 3d rack move", "That is too long: at most 2d. Give a shorter one."),
        ('mute "Too many tablets" alpha cri 2일', "너무 깁니다. 최대 1일까지 할 수 있으니 더 짧게 적어 주세요."),
    ],
)
def test_refusals_speak_the_reader_s_language_without_server_paths_or_config_keys(
    world: World, am: AlertmanagerServer, utterance: str, answer: str
) -> None:
    text = world.say(utterance)
    assert text == answer
    assert "silences." not in text and "/" not in text and ".yml" not in text
    assert live(am) == []
    assert "silences.max_" in world.events[-1].detail  # the record for operators keeps the whole reason


def test_a_down_alertmanager_gets_a_clear_answer(tmp_path: Path) -> None:
    with bot_world(tmp_path, f"http://127.0.0.1:{free_port()}") as world:
        text = world.say("점검 alpha 2h 디스크 교체")
        english = world.say("status alpha")
    assert text == (
        "Alertmanager가 응답하지 않았습니다. 잠시 후 다시 시도해 주세요."
        " 변경이 적용되었는지는 '상태 alpha'로 확인할 수 있습니다."
    )
    assert english.startswith("Alertmanager did not answer; try again in a minute.")
    assert world.events[-1].detail.startswith("failed: no Alertmanager answered")


def test_an_alertmanager_that_never_answers_gets_the_same_answer_within_the_budget(tmp_path: Path) -> None:
    with HangingServer() as hanging, bot_world(tmp_path, hanging.url, {**BOT, "timeout": 0.3, "budget": 0.6}) as world:
        assert world.say("mute 'Too many tablets' alpha off 1h").startswith("Alertmanager가 응답하지 않았습니다.")
        assert world.say("status alpha").startswith("Alertmanager did not answer")


def test_a_wrong_or_missing_shared_secret_is_refused_with_403(
    tmp_path: Path, am: AlertmanagerServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = {**BOT, "skill_token_env": "KHP_TEST_SKILL_TOKEN"}
    with bot_world(tmp_path, am.url, bot, environ={"KHP_TEST_SKILL_TOKEN": "s3cret-token"}) as world:
        with caplog.at_level(logging.WARNING, logger="kakao_receiver.bot"):
            wrong = world.skill("점검 alpha 1h x", headers={"X-KHP-Bot-Token": "guess"})
            missing = world.skill("점검 alpha 1h x")
            query = world.skill("점검 alpha 1h x", query_string={"token": "nope"})
        assert [r.status_code for r in (wrong, missing, query)] == [403, 403, 403]
        assert live(am) == [] and world.events == []
        assert sum("missing or wrong shared secret" in r.getMessage() for r in caplog.records) == 3
        assert all("s3cret-token" not in r.getMessage() and "guess" not in r.getMessage() for r in caplog.records)

        by_header = simple_text(world.skill("도움말", headers={"X-KHP-Bot-Token": "s3cret-token"}))
        by_query = simple_text(world.skill("help", query_string={"token": "s3cret-token"}))
        assert by_header.startswith("KHP 봇 명령") and by_query.startswith("KHP bot commands")


def test_a_body_that_is_no_skill_request_is_a_400(world: World) -> None:
    response = world.client.post("/kakao/skill", json={"utterance": "점검 alpha 1h"}, headers=SKILL_HEADERS)
    assert response.status_code == 400
    assert response.get_json() == {"error": "expected an OpenBuilder skill request with userRequest"}
