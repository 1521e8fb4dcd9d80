"""The KakaoWork channel: Block Kit within every limit, and messages.send against the stand-in."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from kakao_receiver._channel import DeliveryError
from kakao_receiver._content import Links, MessageContent, compose
from kakao_receiver.channels import ChannelConfigError
from kakao_receiver.channels.kakaowork import KakaoWorkChannel
from tests.standins.kakao import KakaoStandIn, block_kit_problem

from .samples import alert, random_notification, resolved, webhook


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn() as server:
        yield server


def channel_for(kakao: KakaoStandIn, **options: Any) -> KakaoWorkChannel:
    return KakaoWorkChannel({"base_url": kakao.url, **options}, kakao.environ)


def offline(**options: Any) -> KakaoWorkChannel:
    return KakaoWorkChannel(options, {"KHP_KAKAOWORK_APP_KEY": "key"})


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every text block's text, in order, with split lines joined again."""
    found = [b["text"] for b in blocks if b["type"] == "text"]
    return "\n".join(found).replace("…\n…", "")


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [button for b in blocks if b["type"] == "action" for button in b["elements"]]


def test_the_header_is_coloured_by_severity_and_resolution() -> None:
    channel = offline()
    styles = {
        "critical": channel.render(compose(webhook(alert(severity="critical"))))["blocks"][0],
        "warning": channel.render(compose(webhook(alert(severity="warning"))))["blocks"][0],
        "resolved": channel.render(compose(webhook(resolved())))["blocks"][0],
    }

    assert {tone: block["style"] for tone, block in styles.items()} == {
        "critical": "red",
        "warning": "yellow",
        "resolved": "blue",
    }
    assert styles["critical"] == {"type": "header", "text": "심각 · alpha", "style": "red"}
    assert styles["resolved"]["text"] == "해소됨 · alpha"


def test_a_message_has_the_title_the_alert_and_the_buttons() -> None:
    content = compose(webhook(alert(host="a-ov1")), links=Links(console_url="https://khp.example.com"))

    payload = offline().render(content)

    assert payload["text"] == "[심각] alpha: Task slot usage · 발생 1건"
    assert content.items[0].text in texts(payload["blocks"])
    assert [(b["term"], b["content"]["text"]) for b in payload["blocks"] if b["type"] == "description"] == [
        ("클러스터", "alpha"),
        ("상태", "발생 1건"),
    ]
    found = buttons(payload["blocks"])
    assert [(b["text"], b["action_type"], b.get("action_name"), b["value"]) for b in found[:4]] == [
        ("1시간 끄기", "submit_action", "mute", "check=Task slot usage;cluster=alpha;level=off;minutes=60"),
        ("심각만 받기 1시간", "submit_action", "mute", "check=Task slot usage;cluster=alpha;level=cri;minutes=60"),
        ("점검 2시간", "submit_action", "maintenance", "cluster=alpha;minutes=120"),
        ("기간 지정…", "call_modal", "custom", "check=Task slot usage;cluster=alpha"),
    ]
    links = {b["text"]: b["value"] for b in found[4:]}
    assert links["콘솔"] == "https://khp.example.com/clusters/alpha"
    assert set(links) == {"코드", "사일런스", "콘솔", "Alertmanager"}
    assert all(b["action_type"] == "open_system_browser" for b in found[4:])
    assert block_kit_problem(payload["blocks"]) is None


def test_a_resolved_message_has_links_but_no_mute_buttons() -> None:
    payload = offline().render(compose(webhook(resolved())))

    assert {b["action_type"] for b in buttons(payload["blocks"])} == {"open_system_browser"}


def test_english_buttons_fit_too() -> None:
    payload = offline().render(compose(webhook(alert()), "en"))

    assert [b["text"] for b in buttons(payload["blocks"])][:4] == [
        "Mute 1h",
        "Critical only 1h",
        "Maintenance 2h",
        "Custom…",
    ]
    assert block_kit_problem(payload["blocks"]) is None


def test_long_fields_are_shortened_with_an_ellipsis_and_the_rest_goes_on_in_more_blocks() -> None:
    description = "태블릿 수가 권장치를 초과 " * 90  # about 1,300 characters
    content = compose(webhook(alert(cluster="a-very-long-cluster-name-alpha", description=description)))

    blocks = offline().render(content)["blocks"]

    assert blocks[0]["text"] == "심각 · a-very-long-cl…"
    assert len(blocks[0]["text"]) == 20
    assert content.items[0].text in texts(blocks)  # nothing of the description is lost
    pieces = [b for b in blocks if b["type"] == "text" and "태블릿" in b["text"]]
    assert len(pieces) >= 3 and all(len(b["text"]) <= 500 for b in pieces)
    assert pieces[0]["text"].endswith("…") and pieces[1]["text"].startswith("…")


def test_a_long_group_keeps_the_summary_and_the_truncation_note() -> None:
    alerts = [alert(check="Disk usage", host=f"d{i}", severity="warning") for i in range(25)]
    content = compose(webhook(*alerts, truncated=4))

    joined = texts(offline().render(content)["blocks"])

    assert "외 15건: Disk usage 15" in joined
    assert "Alertmanager가 4건을 더 생략했습니다" in joined


def test_what_does_not_fit_in_the_block_budget_is_counted_and_linked() -> None:
    alerts = [alert(host=f"h{i}", description="x" * 1400) for i in range(10)]  # 3 blocks per alert
    content = compose(webhook(*alerts))

    blocks = offline(max_blocks=20).render(content)["blocks"]

    assert len(blocks) <= 20
    overflow = next(b["text"] for b in blocks if "메시지 크기 한도로" in b.get("text", ""))
    assert "Task slot usage" in overflow
    assert "http://am.example.com:9093/#/alerts?filter=" in overflow


def test_render_stays_within_every_limit_for_any_group() -> None:
    rng = random.Random(11)
    for round_ in range(120):
        notification = random_notification(rng)
        language = "ko" if round_ % 2 else "en"
        console = "https://khp.example.com" if rng.random() < 0.5 else ""
        content = compose(notification, language, Links(console_url=console), max_alerts=rng.randint(1, 15))
        max_blocks = rng.choice([16, 30, 50])

        payload = offline(max_blocks=max_blocks).render(content)

        blocks = payload["blocks"]
        assert block_kit_problem(blocks, max_blocks) is None, block_kit_problem(blocks, max_blocks)
        assert 0 < len(payload["text"]) <= 500
        assert_nothing_lost_silently(content, blocks)


def assert_nothing_lost_silently(content: MessageContent, blocks: list[dict[str, Any]]) -> None:
    joined = texts(blocks)
    missing = [item for item in content.items if item.text not in joined]
    if missing:
        assert "메시지 크기 한도로" in joined or "did not fit in this message" in joined
        assert all(item is content.items[-len(missing) + index] for index, item in enumerate(missing))
    for note in content.notes:
        assert note[:400] in joined


def test_send_posts_the_message_with_the_app_key(kakao: KakaoStandIn) -> None:
    channel = channel_for(kakao)
    payload = channel.render(compose(webhook(alert())))

    channel.send("12345", payload)

    (request,) = kakao.requests_to("kakaowork")
    assert request.path == "/v1/messages.send"
    assert request.headers["authorization"] == "Bearer kw-app-key"
    assert kakao.messages == [{"conversation_id": "12345", "text": payload["text"], "blocks": payload["blocks"]}]
    assert kakao.rejections == []


@pytest.mark.parametrize(
    "code", ["invalid_parameter", "conversation_not_found", "invalid_blocks", "text_too_long", "invalid_authentication"]
)
@pytest.mark.parametrize("status_200", [False, True])
def test_errors_that_retrying_cannot_fix_are_permanent(kakao: KakaoStandIn, code: str, status_200: bool) -> None:
    kakao.errors_with_status_200 = status_200
    kakao.error_next("kakaowork", code)
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match=code) as caught:
        channel.send("12345", channel.render(compose(webhook(alert()))))

    assert caught.value.permanent is True


def test_an_unknown_conversation_is_permanent(kakao: KakaoStandIn) -> None:
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match="conversation_not_found") as caught:
        channel.send("99999", channel.render(compose(webhook(alert()))))

    assert caught.value.permanent


def test_a_wrong_app_key_is_permanent(kakao: KakaoStandIn) -> None:
    channel = KakaoWorkChannel({"base_url": kakao.url}, {"KHP_KAKAOWORK_APP_KEY": "wrong"})

    with pytest.raises(DeliveryError, match="invalid_authentication") as caught:
        channel.send("12345", channel.render(compose(webhook(alert()))))

    assert caught.value.permanent


@pytest.mark.parametrize("status_200", [False, True])
def test_rate_limits_are_retried_after_the_time_kakaowork_asks(kakao: KakaoStandIn, status_200: bool) -> None:
    kakao.errors_with_status_200 = status_200
    kakao.rate_limit("kakaowork", retry_after=7)
    channel = channel_for(kakao)

    with pytest.raises(DeliveryError, match="too_many_requests") as caught:
        channel.send("12345", channel.render(compose(webhook(alert()))))

    assert (caught.value.permanent, caught.value.retry_after) == (False, 7.0)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(kakao: KakaoStandIn, status: int) -> None:
    kakao.fail_next("kakaowork", status)
    channel = channel_for(kakao)
    payload = channel.render(compose(webhook(alert())))

    with pytest.raises(DeliveryError) as caught:
        channel.send("12345", payload)

    assert not caught.value.permanent and caught.value.retry_after is None
    channel.send("12345", payload)  # the next try goes through
    assert len(kakao.messages) == 1


def test_no_answer_within_the_timeout_is_retried(kakao: KakaoStandIn) -> None:
    kakao.hang("kakaowork")
    channel = channel_for(kakao, timeout=0.3)

    with pytest.raises(DeliveryError, match=r"no answer within 0\.3s") as caught:
        channel.send("12345", channel.render(compose(webhook(alert()))))

    assert not caught.value.permanent
    assert [r.status for r in kakao.requests_to("kakaowork")] == [0]


def test_no_connection_is_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = KakaoWorkChannel({"base_url": f"http://127.0.0.1:{port}"}, {"KHP_KAKAOWORK_APP_KEY": "k"})

    with pytest.raises(DeliveryError, match="cannot connect") as caught:
        channel.send("12345", channel.render(compose(webhook(alert()))))

    assert not caught.value.permanent


def test_options_are_checked_at_start() -> None:
    with pytest.raises(ChannelConfigError, match="KHP_KAKAOWORK_APP_KEY is not set"):
        KakaoWorkChannel({}, {})
    with pytest.raises(ChannelConfigError, match="MY_KEY is not set"):
        KakaoWorkChannel({"app_key_env": "MY_KEY"}, {"KHP_KAKAOWORK_APP_KEY": "k"})
    with pytest.raises(ChannelConfigError, match="unknown option 'app_key'; the options are app_key_env, base_url"):
        KakaoWorkChannel({"app_key": "secret"}, {"KHP_KAKAOWORK_APP_KEY": "k"})
    with pytest.raises(ChannelConfigError, match="'timeout': must be a number above 0"):
        KakaoWorkChannel({"timeout": "10s"}, {"KHP_KAKAOWORK_APP_KEY": "k"})
    with pytest.raises(ChannelConfigError, match="'base_url': must be an http"):
        KakaoWorkChannel({"base_url": "api.kakaowork.com"}, {"KHP_KAKAOWORK_APP_KEY": "k"})
