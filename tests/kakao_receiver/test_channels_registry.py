"""Channels are plugins found by name in the entry point group khp.channels."""

from __future__ import annotations

from pathlib import Path

import pytest

from kakao_receiver.channels import GROUP, UnknownChannel, channel_names, load_channel
from kakao_receiver.channels.console import ConsoleChannel

BUNDLED = ["console", "kakaotalk", "kakaowork", "slack", "webhook"]
ENTRY_POINTS = """\
[khp.channels]
kakaowork = kakao_receiver.channels.kakaowork:KakaoWorkChannel
kakaotalk = kakao_receiver.channels.kakaotalk:KakaoTalkChannel
slack = kakao_receiver.channels.slack:SlackChannel
webhook = kakao_receiver.channels.webhook:WebhookChannel
console = kakao_receiver.channels.console:ConsoleChannel
"""
"""The lines setup.cfg's [options.entry_points] holds (khp.channels = ...), as a distribution writes them."""
ENVIRON = {
    "KHP_KAKAOWORK_APP_KEY": "k",
    "KHP_KAKAOTALK_CLIENT_ID": "c",
    "KHP_KAKAOTALK_REFRESH_TOKEN": "r",
    "KHP_SLACK_WEBHOOK_URL": "https://hooks.slack.com/x",
}


def fake_distribution(where: Path, name: str, entry_points: str) -> None:
    dist = where / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)


def test_an_unknown_channel_names_the_valid_ones() -> None:
    with pytest.raises(UnknownChannel) as caught:
        load_channel("kakao-work", {}, {})

    message = str(caught.value)
    assert message.startswith("unknown channel 'kakao-work'; the channels are: ")
    assert GROUP in message
    for name in channel_names():
        assert name in message


def test_the_bundled_channels_load_by_their_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_distribution(tmp_path, "khp_bundled_copy", ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))

    for name in BUNDLED:
        options = {"url": "http://127.0.0.1:9/hook"} if name == "webhook" else {}
        assert load_channel(name, options, ENVIRON).name == name


def test_setup_cfg_registers_the_bundled_channels() -> None:
    if not set(BUNDLED) <= set(channel_names()):
        pytest.skip("setup.cfg has no khp.channels entry points yet; add them and run `pip install -e .`")
    assert channel_names() == sorted(channel_names())
    assert isinstance(load_channel("console", {"stream": "stdout"}, {}), ConsoleChannel)
    for name in BUNDLED:
        options = {"url": "http://127.0.0.1:9/hook"} if name == "webhook" else {}
        assert load_channel(name, options, ENVIRON).name == name


def test_a_plugin_registered_by_another_package_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_distribution(tmp_path, "khp_printer", f"[{GROUP}]\nprinter = kakao_receiver.channels.console:ConsoleChannel\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    channel = load_channel("printer", {"stream": "stderr"}, {})

    assert "printer" in channel_names()
    assert isinstance(channel, ConsoleChannel) and channel.stream == "stderr"
    with pytest.raises(UnknownChannel, match="printer"):
        load_channel("printr", {}, {})
