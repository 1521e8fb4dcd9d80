"""The KakaoTalk channel: a 200-character memo, sent with the user token, refreshed once on 401."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kakao_receiver._channel import DeliveryError
from kakao_receiver._content import Links, compose
from kakao_receiver.channels import ChannelConfigError
from kakao_receiver.channels.kakaotalk import KakaoTalkChannel
from tests.standins.kakao import KakaoStandIn, text_template_problem

from .samples import alert, random_notification, webhook


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn() as server:
        yield server


def channel_for(kakao: KakaoStandIn, environ: dict[str, str] | None = None, **options: Any) -> KakaoTalkChannel:
    return KakaoTalkChannel({"base_url": kakao.url, "auth_url": kakao.url, **options}, environ or kakao.environ)


def payload_for(channel: KakaoTalkChannel, **links: str) -> dict[str, Any]:
    return channel.render(compose(webhook(alert(host="a-ov1")), links=Links(**links)))


OFFLINE_ENV = {"KHP_KAKAOTALK_CLIENT_ID": "id", "KHP_KAKAOTALK_REFRESH_TOKEN": "refresh"}


def test_the_memo_is_a_text_template_linking_to_the_console() -> None:
    channel = KakaoTalkChannel({}, OFFLINE_ENV)

    template = payload_for(channel, console_url="https://khp.example.com")["template_object"]

    assert template == {
        "object_type": "text",
        "text": "[심각] alpha: Task slot usage\n발생 1건\n[심각] a-ov1 값 46.913 > 임계치 45",
        "link": {
            "web_url": "https://khp.example.com/clusters/alpha",
            "mobile_web_url": "https://khp.example.com/clusters/alpha",
        },
        "button_title": "자세히 보기",
    }


def test_without_a_console_the_memo_links_to_alertmanager() -> None:
    template = payload_for(KakaoTalkChannel({}, OFFLINE_ENV))["template_object"]

    assert template["link"]["web_url"].startswith("http://am.example.com:9093/#/alerts?filter=")


def test_a_long_group_is_summarized_in_200_characters_with_how_many_more() -> None:
    alerts = [alert(check="Disk usage", host=f"a-dn{i}", severity="warning") for i in range(30)]
    content = compose(webhook(*alerts, truncated=5))

    text = KakaoTalkChannel({}, OFFLINE_ENV).render(content)["template_object"]["text"]

    assert len(text) <= 200
    shown = text.count("[경고] a-dn")
    assert text.endswith(f"외 {35 - shown}건")
    assert text.startswith("[경고] alpha: Disk usage 30건\n발생 30건\n")


def test_the_memo_fits_for_any_group() -> None:
    rng = random.Random(5)
    channel = KakaoTalkChannel({}, OFFLINE_ENV)
    for round_ in range(150):
        notification = random_notification(rng)
        content = compose(notification, "en" if round_ % 2 else "ko", max_alerts=rng.randint(1, 12))

        template = channel.render(content)["template_object"]

        assert text_template_problem(template) is None, text_template_problem(template)
        total = len(notification.alerts) + notification.truncated_alerts
        shown = sum(1 for item in content.items if item.heading in template["text"])
        if shown < total and len(content.title) < 100:
            assert ("외 " in template["text"]) or ("more" in template["text"])


def test_send_posts_the_form_with_the_access_token(kakao: KakaoStandIn) -> None:
    channel = channel_for(kakao)
    payload = payload_for(channel)

    channel.send("me", payload)

    (request,) = kakao.requests_to("kakaotalk")
    assert request.path == "/v2/api/talk/memo/default/send"
    assert request.headers["authorization"] == "Bearer talk-access-1"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert json.loads(request.form["template_object"]) == payload["template_object"]
    assert kakao.memos == [{"token": "talk-access-1", "template": payload["template_object"]}]
    assert kakao.rejections == []


def test_an_expired_token_is_refreshed_once_and_the_memo_sent_again(kakao: KakaoStandIn) -> None:
    channel = channel_for(kakao)
    payload = payload_for(channel)
    kakao.expire_access_token()

    channel.send("me", payload)
    channel.send("me", payload)

    assert [r.api for r in kakao.requests] == ["kakaotalk", "oauth", "kakaotalk", "kakaotalk"]
    assert [r.status for r in kakao.requests] == [401, 200, 200, 200]
    refresh = kakao.requests_to("oauth")[0].form
    assert refresh == {"grant_type": "refresh_token", "client_id": "talk-client-id", "refresh_token": "talk-refresh-1"}
    assert [memo["token"] for memo in kakao.memos] == [kakao.access_token] * 2


def test_without_an_access_token_the_first_send_refreshes(kakao: KakaoStandIn) -> None:
    environ = {k: v for k, v in kakao.environ.items() if k != "KHP_KAKAOTALK_ACCESS_TOKEN"}
    channel = channel_for(kakao, environ)

    channel.send("me", payload_for(channel))

    assert [r.api for r in kakao.requests] == ["oauth", "kakaotalk"]


def test_a_client_secret_is_sent_when_configured() -> None:
    with KakaoStandIn(client_secret="s3cret") as kakao:
        kakao.expire_access_token()
        channel = channel_for(kakao, client_secret_env="KHP_KAKAOTALK_CLIENT_SECRET")

        channel.send("me", payload_for(channel))

        assert kakao.requests_to("oauth")[0].form["client_secret"] == "s3cret"


def test_refreshed_tokens_are_kept_in_the_token_file_across_restarts(kakao: KakaoStandIn, tmp_path: Path) -> None:
    token_file = tmp_path / "var" / "kakaotalk.json"
    environ = kakao.environ
    kakao.rotate_refresh_token = True
    kakao.expire_access_token()
    first = channel_for(kakao, environ, token_file=str(token_file))

    first.send("me", payload_for(first))

    saved = json.loads(token_file.read_text())
    assert saved["access_token"] == kakao.access_token
    assert saved["refresh_token"] == kakao.refresh_token != "talk-refresh-1"
    assert token_file.stat().st_mode & 0o777 == 0o600

    restarted = channel_for(kakao, environ, token_file=str(token_file))  # env still holds the old tokens
    restarted.send("me", payload_for(restarted))
    assert [r.api for r in kakao.requests][-1:] == ["kakaotalk"]  # the saved access token, no refresh

    kakao.expire_access_token()
    restarted.send("me", payload_for(restarted))  # refreshed with the rotated refresh token from the file
    assert kakao.rejections[-1] == ("kakaotalk", "-401: this access token is already expired")
    assert [r.status for r in kakao.requests_to("oauth")] == [200, 200]


def test_a_token_file_from_another_refresh_token_is_ignored(kakao: KakaoStandIn, tmp_path: Path) -> None:
    token_file = tmp_path / "kakaotalk.json"
    token_file.write_text(json.dumps({"access_token": "old", "refresh_token": "old-refresh", "seed": "elsewhere"}))
    channel = channel_for(kakao, token_file=str(token_file))

    channel.send("me", payload_for(channel))

    assert kakao.memos[0]["token"] == "talk-access-1"


def test_a_refused_refresh_token_is_permanent_and_says_what_to_do(kakao: KakaoStandIn) -> None:
    kakao.expire_access_token()
    kakao.revoke_refresh_token()
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match=r"invalid_grant KOE322.*log in to Kakao again") as caught:
        channel.send("me", payload_for(channel))

    assert caught.value.permanent


def test_a_401_right_after_refreshing_is_permanent(kakao: KakaoStandIn) -> None:
    kakao.expire_access_token()
    kakao.error_next("kakaotalk", -401, times=2)
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match="freshly refreshed") as caught:
        channel.send("me", payload_for(channel))

    assert caught.value.permanent
    assert [r.api for r in kakao.requests] == ["kakaotalk", "oauth", "kakaotalk"]


def test_a_refresh_that_kakao_cannot_answer_now_is_retried(kakao: KakaoStandIn) -> None:
    kakao.expire_access_token()
    kakao.fail_next("oauth", 503)
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match="token refresh") as caught:
        channel.send("me", payload_for(channel))

    assert not caught.value.permanent


@pytest.mark.parametrize(("code", "permanent"), [(-10, False), (-1, False), (-2, True), (-402, True), (-501, True)])
def test_kakao_error_codes(kakao: KakaoStandIn, code: int, permanent: bool) -> None:
    kakao.error_next("kakaotalk", code)
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match=f"code {code}") as caught:
        channel.send("me", payload_for(channel))

    assert caught.value.permanent is permanent


def test_quota_exceeded_is_retried(kakao: KakaoStandIn) -> None:
    kakao.rate_limit("kakaotalk")
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match="code -10") as caught:
        channel.send("me", payload_for(channel))

    assert not caught.value.permanent


def test_server_errors_and_silence_are_retried(kakao: KakaoStandIn) -> None:
    channel = channel_for(kakao, timeout=0.3)
    payload = payload_for(channel)
    kakao.fail_next("kakaotalk", 500)
    with pytest.raises(DeliveryError) as caught:
        channel.send("me", payload)
    assert not caught.value.permanent

    kakao.hang("kakaotalk")
    with pytest.raises(DeliveryError, match="no answer within") as caught:
        channel.send("me", payload)
    assert not caught.value.permanent


def test_a_room_target_can_pick_the_account(kakao: KakaoStandIn) -> None:
    environ = {
        "KHP_KAKAOTALK_ONCALL_CLIENT_ID": kakao.client_id,
        "KHP_KAKAOTALK_ONCALL_REFRESH_TOKEN": kakao.refresh_token,
    }
    options = {
        "client_id_env": "KHP_KAKAOTALK_{target}_CLIENT_ID",
        "refresh_token_env": "KHP_KAKAOTALK_{target}_REFRESH_TOKEN",
        "access_token_env": "KHP_KAKAOTALK_{target}_ACCESS_TOKEN",
    }
    channel = channel_for(kakao, environ, **options)
    payload = payload_for(channel)

    channel.send("oncall", payload)

    assert len(kakao.memos) == 1
    with pytest.raises(DeliveryError, match="KHP_KAKAOTALK_NIGHT_SHIFT_CLIENT_ID is not set") as caught:
        channel.send("night-shift", payload)
    assert caught.value.permanent


def test_options_are_checked_at_start() -> None:
    with pytest.raises(ChannelConfigError, match="KHP_KAKAOTALK_CLIENT_ID is not set"):
        KakaoTalkChannel({}, {"KHP_KAKAOTALK_REFRESH_TOKEN": "r"})
    with pytest.raises(ChannelConfigError, match="KHP_KAKAOTALK_REFRESH_TOKEN is not set"):
        KakaoTalkChannel({}, {"KHP_KAKAOTALK_CLIENT_ID": "c"})
    with pytest.raises(ChannelConfigError, match="unknown option 'token'"):
        KakaoTalkChannel({"token": "t"}, OFFLINE_ENV)
