"""Every message the shipped configuration can produce is valid for its channel, and the stand-in takes it.

The messages of every bundled check, firing and resolved, alone and grouped (past
``summarize_after``), and all checks in one group, in Korean and English, in full and in the
plain form sent when the full one cannot be made, rendered with the shipped ``khp.yml`` and
``deploy/khp.yml`` (only addresses replaced: ``shipped.py``) for every channel, checked by the
channel's own validator and sent to the Kakao stand-in, which refuses what the real APIs would.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evaluator import discover_monitors
from kakao_receiver import Links, compose, parse_webhook, receiver_settings
from kakao_receiver._app import load_channels
from kakao_receiver._content import plain_content
from kakao_receiver.channels.slack import SlackChannel
from kakao_receiver.channels.webhook import WebhookChannel
from khp.configuration import Config, format_time, load_config
from tests.standins.kakao import KakaoStandIn

from .shipped import SHIPPED, Addresses, rooms_in, shipped_project

STARTS = 1795946400.0


def emitted(config: Config) -> list[dict[str, str]]:
    """Every ``self.emit`` of the configured monitors: check, monitor, service and the source link."""
    found = []
    for monitor in discover_monitors(config):
        file = inspect.getsourcefile(monitor)
        assert file is not None
        lines, first = inspect.getsourcelines(monitor)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit":
                name = node.args[0] if node.args else None
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    path = os.path.relpath(file, Path(config.file).parent)
                    found.append(
                        {
                            "check": name.value,
                            "monitor": monitor.monitor_name(),
                            "service": Path(file).stem,
                            "source": config.links.source.format(path=path, line=first + node.lineno - 1),
                        }
                    )
    assert len(found) >= 30, found
    return found


def alert(check: dict[str, str], host: str, status: str = "firing", severity: str = "warning") -> dict[str, Any]:
    labels = {
        "alertname": check["check"],
        "monitor": check["monitor"],
        "cluster": "alpha",
        "host": host,
        "service": check["service"],
        "severity": severity,
    }
    annotations = {
        "description": f"{check['check']} 임계치 초과 — above its threshold on {host}",
        "value": "2415.123456",
        "threshold": "2000",
        "compare": ">",
        "source": check["source"],
    }
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": format_time(STARTS),
        "endsAt": format_time(STARTS + 1500) if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": check["source"],
        "fingerprint": f"{abs(hash((check['check'], host, severity))):016x}",
    }


def webhook(alerts: list[dict[str, Any]], receiver: str = "khp-alpha-warning") -> dict[str, Any]:
    status = "resolved" if all(a["status"] == "resolved" for a in alerts) else "firing"
    names = {a["labels"]["alertname"] for a in alerts}
    group = {"alertname": next(iter(names)), "cluster": "alpha"} if len(names) == 1 else {"cluster": "alpha"}
    return {
        "version": "4",
        "groupKey": "{}:" + str(sorted(group.items())),
        "truncatedAlerts": 3 if len(alerts) > 20 else 0,
        "receiver": receiver,
        "status": status,
        "externalURL": "http://alertmanager-1:9093",
        "groupLabels": group,
        "commonLabels": {"cluster": "alpha"},
        "commonAnnotations": {},
        "alerts": alerts,
    }


def notifications(checks: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """Each check alone firing, alone resolved and as a group of 12 hosts; then every check in one group."""
    for check in checks:
        yield webhook([alert(check, "a-dn1", severity="critical")], "khp-alpha-critical")
        yield webhook([alert(check, "a-dn1", status="resolved")])
        yield webhook([alert(check, f"a-dn{n}", status="resolved" if n % 3 else "firing") for n in range(1, 13)])
    yield webhook([alert(check, f"a-dn{n}") for n, check in enumerate(checks)])


def channels_for(project: Path, kakao: KakaoStandIn) -> tuple[Config, dict[str, Any]]:
    config = load_config(project)
    loaded: dict[str, Any] = dict(load_channels(config, receiver_settings(config), kakao.environ))
    loaded["slack"] = SlackChannel({"url_env": "SLACK_URL"}, {"SLACK_URL": kakao.slack_url()})
    loaded["webhook"] = WebhookChannel({"url": kakao.webhook_url()})
    return config, loaded


@pytest.mark.parametrize("name", sorted(SHIPPED))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_bundled_check_s_messages_are_valid_and_taken_by_every_channel(
    tmp_path: Path, name: str, language: str
) -> None:
    with KakaoStandIn() as kakao:
        project = shipped_project(name, tmp_path, Addresses(kakao=kakao.url))
        kakao.conversations |= rooms_in(project).get("kakaowork", set())
        config, channels = channels_for(project, kakao)
        settings = receiver_settings(config)
        links = Links(console_url=settings.console_url, alertmanager_url=settings.alertmanager_url)
        sent = 0
        for body in notifications(emitted(config)):
            notification = parse_webhook(body)
            full = compose(notification, language, links, max_alerts=settings.summarize_after, now=STARTS)
            plain = plain_content(notification, language)  # what is sent when the full one cannot be made
            for channel_name, channel in channels.items():
                if channel_name == "console":
                    continue
                for content in (full, plain):
                    payload = channel.render(content)
                    assert channel.problems(payload) == [], (channel_name, content.title)
                    channel.send({"kakaowork": "10001", "kakaotalk": "oncall"}.get(channel_name, "ops"), payload)
                    sent += 1

    assert kakao.rejections == []
    assert sent == len(kakao.messages) + len(kakao.memos) + len(kakao.slack_posts) + len(kakao.hook_posts)
    assert {"kakaowork", "kakaotalk", "slack", "webhook"} <= set(channels)


def test_source_links_the_shipped_files_leave_relative_are_left_out_not_sent_broken(tmp_path: Path) -> None:
    with KakaoStandIn() as kakao:
        config, channels = channels_for(shipped_project("khp.yml", tmp_path, Addresses(kakao=kakao.url)), kakao)
        assert not emitted(config)[0]["source"].startswith("http")  # links.source is not set in the shipped files
        check = {**emitted(config)[0], "source": "evaluator/monitors/zookeeper.py#L17"}
        content = compose(parse_webhook(webhook([alert(check, "a-dn1")])), "ko", Links())
        payload = channels["kakaowork"].render(content)

    urls = [b.get("value", "") for block in payload["blocks"] for b in block.get("elements", [])]
    assert urls and all("evaluator/monitors" not in url for url in urls)
    with_console = compose(parse_webhook(webhook([alert(check, "a-dn1")])), "ko", Links("https://khp.example.com"))
    source = [link.url for link in with_console.subjects[0].links if link.kind == "source"]
    assert source == ["https://khp.example.com/source/evaluator/monitors/zookeeper.py#L17"]


def test_hostile_names_hangul_emoji_and_huge_values_still_fit_every_channel(tmp_path: Path) -> None:
    long_check = {
        "check": "디스크사용률" * 60 + " 🔥",
        "monitor": "HostMonitor",
        "service": "host",
        "source": "x.py#L1",
    }
    with KakaoStandIn() as kakao:
        _, channels = channels_for(shipped_project("khp.yml", tmp_path, Addresses(kakao=kakao.url)), kakao)
        kakao.conversations.add("10001")
        body = webhook([alert(long_check, "호스트-🔥-" * 30) for _ in range(3)], "khp-alpha-warning")
        body["alerts"][0]["annotations"]["description"] = "😀" * 3000
        content = compose(parse_webhook(body), "ko", Links("https://khp.example.com"), now=STARTS)
        for channel_name in ("kakaowork", "kakaotalk", "slack", "webhook"):
            channel = channels[channel_name]
            payload = channel.render(content)
            assert channel.problems(payload) == [], channel_name
            channel.send({"kakaowork": "10001", "kakaotalk": "oncall"}.get(channel_name, "ops"), payload)

    assert kakao.rejections == []
    buttons = [b for block in kakao.messages[0]["blocks"] for b in block.get("elements", [])]
    values = [b["value"] for b in buttons if b["action_type"] == "submit_action"]
    assert values and all(len(v.encode()) <= 1000 for v in values)
    assert [v for v in values if "check" in v] and all("check_id=" in v for v in values if "check" in v)
