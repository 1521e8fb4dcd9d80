"""The generic JSON webhook and the console channel."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from kakao_receiver._channel import DeliveryError
from kakao_receiver._content import compose
from kakao_receiver.channels import ChannelConfigError
from kakao_receiver.channels.console import ConsoleChannel
from kakao_receiver.channels.webhook import WebhookChannel
from tests.standins.kakao import KakaoStandIn

from .samples import alert, webhook


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn() as server:
        yield server


def test_the_webhook_posts_every_field_of_the_content_and_the_target(kakao: KakaoStandIn) -> None:
    content = compose(webhook(alert(host="h1")))
    channel = WebhookChannel(
        {"url": kakao.webhook_url("ops"), "headers": {"X-Team": "hadoop"}, "headers_env": {"Authorization": "HOOK"}},
        {"HOOK": "Bearer s3cret"},
    )

    channel.send("room-1", channel.render(content))

    ((name, body),) = kakao.hook_posts
    assert name == "ops"
    assert body == {**content.to_dict(), "target": "room-1"}
    headers = kakao.requests_to("webhook")[0].headers
    assert (headers["x-team"], headers["authorization"]) == ("hadoop", "Bearer s3cret")


def test_the_webhook_url_can_come_from_the_environment_per_target(kakao: KakaoStandIn) -> None:
    channel = WebhookChannel({"url_env": "HOOK_{target}"}, {"HOOK_A": kakao.webhook_url("a")})
    payload = channel.render(compose(webhook(alert())))

    channel.send("a", payload)

    assert [name for name, _ in kakao.hook_posts] == ["a"]
    with pytest.raises(DeliveryError, match="HOOK_B is not set"):
        channel.send("b", payload)


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (408, False), (400, True), (404, True)])
def test_webhook_statuses(kakao: KakaoStandIn, status: int, permanent: bool) -> None:
    kakao.fail_next("webhook", status)
    channel = WebhookChannel({"url": kakao.webhook_url()}, {})

    with pytest.raises(DeliveryError, match=f"HTTP {status}") as caught:
        channel.send("x", channel.render(compose(webhook(alert()))))

    assert caught.value.permanent is permanent


def test_webhook_rate_limit_and_hang_are_retried(kakao: KakaoStandIn) -> None:
    channel = WebhookChannel({"url": kakao.webhook_url(), "timeout": 0.3}, {})
    payload = channel.render(compose(webhook(alert())))
    kakao.rate_limit("webhook", retry_after=3)
    with pytest.raises(DeliveryError) as caught:
        channel.send("x", payload)
    assert caught.value.retry_after == 3.0

    kakao.hang("webhook")
    with pytest.raises(DeliveryError, match="no answer") as caught:
        channel.send("x", payload)
    assert not caught.value.permanent


def test_webhook_options_are_checked() -> None:
    with pytest.raises(ChannelConfigError, match="exactly one of the options 'url' and 'url_env'"):
        WebhookChannel({}, {})
    with pytest.raises(ChannelConfigError, match="exactly one"):
        WebhookChannel({"url": "http://a", "url_env": "B"}, {"B": "http://b"})
    with pytest.raises(ChannelConfigError, match="environment variable TOKEN"):
        WebhookChannel({"url": "http://a", "headers_env": {"Authorization": "TOKEN"}}, {})
    with pytest.raises(ChannelConfigError, match="HOOK_URL is not set"):
        WebhookChannel({"url_env": "HOOK_URL"}, {})


def test_the_console_prints_the_whole_message() -> None:
    out = io.StringIO()
    channel = ConsoleChannel({}, {}, out=out)
    content = compose(webhook(alert()))

    channel.send("ops", channel.render(content))

    assert out.getvalue() == f"── console:ops ──\n{content.text}\n"


def test_the_console_can_print_to_stdout_or_the_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    content = compose(webhook(alert()))
    ConsoleChannel({}, {}).send("a", {"text": content.text})
    assert content.title in capsys.readouterr().out

    with caplog.at_level(logging.INFO, logger="kakao_receiver.console"):
        ConsoleChannel({"stream": "log"}, {}).send("b", {"text": content.text})
    assert content.title in caplog.text

    with pytest.raises(ChannelConfigError, match="stdout, stderr, log"):
        ConsoleChannel({"stream": "printer"}, {})
