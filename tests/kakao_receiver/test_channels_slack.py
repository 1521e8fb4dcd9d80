"""The Slack channel: an incoming webhook with Block Kit within Slack's limits."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from kakao_receiver._channel import DeliveryError
from kakao_receiver._content import Links, compose
from kakao_receiver.channels import ChannelConfigError
from kakao_receiver.channels.slack import SlackChannel
from tests.standins.kakao import KakaoStandIn, slack_blocks_problem

from .samples import alert, random_notification, webhook


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn(slack_hooks=("ops", "dba")) as server:
        yield server


def test_render_has_a_header_the_alerts_and_link_buttons() -> None:
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X"})
    content = compose(
        webhook(alert(host="a-ov1", description="a < b & c")), "en", Links(console_url="https://c.example")
    )

    payload = channel.render(content)

    assert payload["text"] == "[CRITICAL] alpha: Task slot usage · 1 firing"
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[CRITICAL] alpha: Task slot usage"},
    }
    assert "a &lt; b &amp; c" in payload["blocks"][2]["text"]["text"]
    (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Code", "Silence", "Console", "Alertmanager"]
    assert slack_blocks_problem(payload["blocks"]) is None


def test_render_stays_within_slack_limits_for_any_group() -> None:
    rng = random.Random(3)
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"})
    for _ in range(80):
        payload = channel.render(compose(random_notification(rng), max_alerts=rng.randint(1, 60)))
        assert slack_blocks_problem(payload["blocks"]) is None, slack_blocks_problem(payload["blocks"])


def test_send_posts_to_the_webhook_url_from_the_environment(kakao: KakaoStandIn) -> None:
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": kakao.slack_url("ops")})
    payload = channel.render(compose(webhook(alert())))

    channel.send("ops", payload)

    assert kakao.slack_posts == [("ops", payload)]


def test_the_target_can_pick_the_webhook(kakao: KakaoStandIn) -> None:
    environ = {"KHP_SLACK_OPS_URL": kakao.slack_url("ops"), "KHP_SLACK_DBA_TEAM_URL": kakao.slack_url("dba")}
    channel = SlackChannel({"url_env": "KHP_SLACK_{target}_URL"}, environ)
    payload = channel.render(compose(webhook(alert())))

    channel.send("ops", payload)
    channel.send("dba-team", payload)

    assert [name for name, _ in kakao.slack_posts] == ["ops", "dba"]
    with pytest.raises(DeliveryError, match="KHP_SLACK_OTHER_URL is not set") as caught:
        channel.send("other", payload)
    assert caught.value.permanent


def test_rate_limits_are_retried_after_retry_after(kakao: KakaoStandIn) -> None:
    kakao.rate_limit("slack", retry_after=12)
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": kakao.slack_url()})

    with pytest.raises(DeliveryError) as caught:
        channel.send("ops", channel.render(compose(webhook(alert()))))

    assert (caught.value.permanent, caught.value.retry_after) == (False, 12.0)


def test_server_errors_are_retried_and_rejections_are_permanent(kakao: KakaoStandIn) -> None:
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": kakao.slack_url("gone")})
    payload = channel.render(compose(webhook(alert())))
    with pytest.raises(DeliveryError, match="no_service") as caught:
        channel.send("ops", payload)
    assert caught.value.permanent

    kakao.fail_next("slack", 500)
    channel = SlackChannel({}, {"KHP_SLACK_WEBHOOK_URL": kakao.slack_url("ops")})
    with pytest.raises(DeliveryError) as caught:
        channel.send("ops", payload)
    assert not caught.value.permanent


def test_hang_is_retried(kakao: KakaoStandIn) -> None:
    kakao.hang("slack")
    channel = SlackChannel({"timeout": 0.3}, {"KHP_SLACK_WEBHOOK_URL": kakao.slack_url()})

    with pytest.raises(DeliveryError, match="no answer") as caught:
        channel.send("ops", channel.render(compose(webhook(alert()))))

    assert not caught.value.permanent


def test_a_missing_webhook_url_is_an_error_at_start() -> None:
    with pytest.raises(ChannelConfigError, match="KHP_SLACK_WEBHOOK_URL is not set"):
        SlackChannel({}, {})
