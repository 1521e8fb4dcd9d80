"""The receiver app through Flask's test client: every refusal, the outbox commit, health, settings."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kakao_receiver import create_app
from kakao_receiver._app import Receiver
from kakao_receiver._channel import DeliveryError
from kakao_receiver._outbox import Outbox, OutboxError
from kakao_receiver._settings import receiver_settings
from khp.configuration import Config, ConfigError, RoutingConfig, StoreConfig
from khp.history import HistoryEvent

from .samples import alert

TOKEN = "s3cret-receiver-token-0123456789"
NOW = 1795946400.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingChannel:
    """A channel plugin that keeps what it is given; ``failures`` are raised by the next sends."""

    name = "rec"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Mapping[str, Any]]] = []
        self.failures: list[Exception] = []

    def render(self, content: Any) -> dict[str, Any]:
        return {"title": content.title, "text": content.text, "id": content.notification_id}

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((target, payload))


CHANNELS = {"rec": RecordingChannel()}


def fail_on_full_messages(channel: RecordingChannel) -> None:
    """Make ``channel.render`` raise, as a plugin bug would, on what only the full message has (its links)."""
    render = channel.render

    def fails_on_links(content: Any) -> dict[str, Any]:
        if content.subjects:
            raise KeyError("links")
        return render(content)

    channel.render = fails_on_links  # type: ignore[method-assign]


def discard(events: Sequence[HistoryEvent]) -> None:
    """A history that keeps nothing."""


def project(
    tmp_path: Path,
    receiver: Mapping[str, Any] | None = None,
    rooms: Mapping[str, tuple[str, ...]] | None = None,
    token: str | None = TOKEN,
) -> Config:
    """A ``Config`` as ``load_config`` builds it, with a token file and a ``receiver:`` section."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    token_file = tmp_path / "receiver-token"
    if token is not None:
        token_file.write_text(token + "\n", encoding="utf-8")
    default_rooms = {"warning": ("rec:w1",), "critical": ("rec:c1", "rec:c2")}
    return Config(
        file=str(tmp_path / "khp.yml"),
        store=StoreConfig(path=tmp_path / "var" / "khp.db"),
        routing=RoutingConfig(
            receiver_url="http://127.0.0.1:8080/alertmanager",
            credentials_file=str(token_file),
            channels=MappingProxyType(dict(default_rooms if rooms is None else rooms)),
        ),
        components=MappingProxyType({"receiver": MappingProxyType(dict(receiver or {}))}),
    )


def body(receiver: str = "khp-critical", **overrides: Any) -> dict[str, Any]:
    """An Alertmanager webhook (version 4) for ``receiver``."""
    payload: dict[str, Any] = {
        "version": "4",
        "groupKey": '{}:{alertname="Task slot usage", cluster="alpha"}',
        "truncatedAlerts": 0,
        "receiver": receiver,
        "status": "firing",
        "externalURL": "http://127.0.0.1:9093",
        "groupLabels": {"alertname": "Task slot usage", "cluster": "alpha"},
        "commonLabels": {"alertname": "Task slot usage", "cluster": "alpha", "severity": "critical"},
        "commonAnnotations": {},
        "alerts": [alert(host="a-ov1"), alert(host="a-ov2")],
    }
    payload.update(overrides)
    return payload


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": "Alertmanager/0.25.0"}


class Harness:
    """An app without delivery threads, its channel, its history events and its client."""

    def __init__(self, config: Config, clock: Clock, start_workers: bool = False, name: str = "rec") -> None:
        self.channel = RecordingChannel()
        self.events: list[HistoryEvent] = []
        self.clock = clock
        self.app: Flask = create_app(
            config,
            clock=clock,
            environ={},
            start_workers=start_workers,
            channels={name: self.channel},
            history=self.events.extend,
        )
        self.client: FlaskClient = self.app.test_client()

    @property
    def receiver(self) -> Receiver:
        receiver: Receiver = self.app.extensions["khp_receiver"]
        return receiver

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, payload: Any = None, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        if payload is not None:
            kwargs["json"] = payload
        return self.client.post("/alertmanager", headers=dict(auth() if headers is None else headers), **kwargs)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    made = Harness(project(tmp_path), Clock())
    yield made
    made.receiver.close()


def receiver_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("kakao_receiver")]


# -- accepted ----------------------------------------------------------------------------------------


def test_a_webhook_is_answered_200_after_its_message_for_every_room_is_committed(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    answer = harness.post(body())

    assert answer.status_code == 200
    assert answer.json["status"] == "accepted"
    assert answer.json["rooms"] == ["rec:c1", "rec:c2"]
    rows = harness.receiver.outbox.rows(answer.json["id"])
    assert [(row["room"], row["state"], row["attempts"]) for row in rows] == [
        ("rec:c1", "pending", 0),
        ("rec:c2", "pending", 0),
    ]
    assert [row["payload"] for row in rows] == ["", ""]  # rendered when sent, from the notification's body
    (line,) = receiver_logs(caplog)
    assert "accepted notification" in line.getMessage() and "rec:c1, rec:c2" in line.getMessage()


def test_a_webhook_s_message_is_composed_and_rendered_when_it_is_sent(harness: Harness) -> None:
    answer = harness.post(body())
    assert harness.channel.sent == []

    while harness.receiver.courier.deliver_one():
        pass

    assert [target for target, _ in harness.channel.sent] == ["c1", "c2"]
    (first, _), (second, _) = ((payload, target) for target, payload in harness.channel.sent)
    assert first["title"] == "[심각] alpha: Task slot usage 2건"
    assert first["id"] == answer.json["id"]
    assert second == first
    assert [row["state"] for row in harness.receiver.outbox.rows()] == ["sent", "sent"]


def test_the_same_notification_sent_again_is_stored_once(harness: Harness) -> None:
    first = harness.post(body())
    again = harness.post(body())

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json["status"], again.json["status"]) == ("accepted", "duplicate")
    assert first.json["id"] == again.json["id"]
    assert len(harness.receiver.outbox.rows()) == 2


def test_the_same_notification_after_half_the_repeat_interval_is_sent_again(harness: Harness) -> None:
    courier = harness.receiver.courier
    first = harness.post(body())
    while courier.deliver_one():
        pass
    courier.record_finished()
    harness.clock.now += 2 * 3600 - 1  # routing's repeat_interval is 4h: Alertmanager still retrying
    assert harness.post(body()).json["status"] == "duplicate"
    harness.clock.now += 1  # Alertmanager's reminder, repeat_interval after it was delivered

    reminder = harness.post(body())
    while courier.deliver_one():
        pass
    courier.record_finished()

    assert reminder.json == {**first.json, "status": "repeated"}
    assert [target for target, _ in harness.channel.sent] == ["c1", "c2", "c1", "c2"]
    assert len(harness.events) == 8 and len({e.identity() for e in harness.events}) == 8


def test_a_changed_notification_is_a_new_one(harness: Harness) -> None:
    first = harness.post(body())
    resolved = body(status="resolved", alerts=[alert(host="a-ov1", status="resolved", ends="2026-11-29T06:45:25Z")])

    second = harness.post(resolved)

    assert second.json["status"] == "accepted" and second.json["id"] != first.json["id"]
    assert len(harness.receiver.outbox.rows()) == 4


def test_the_stored_message_is_sent_once_per_room_and_recorded_as_notified_per_alert(harness: Harness) -> None:
    answer = harness.post(body())
    courier = harness.receiver.courier

    while courier.deliver_one():
        pass
    assert harness.events == []  # written in batches, after the rows are marked
    courier.record_finished()

    assert [target for target, _ in harness.channel.sent] == ["c1", "c2"]
    assert {row["state"] for row in harness.receiver.outbox.rows()} == {"sent"}
    assert [(e.kind, e.host, e.channel, e.room) for e in harness.events] == [
        ("notified", "a-ov1", "rec", "c1"),
        ("notified", "a-ov2", "rec", "c1"),
        ("notified", "a-ov1", "rec", "c2"),
        ("notified", "a-ov2", "rec", "c2"),
    ]
    assert harness.events[0].value == 46.913 and harness.events[0].threshold == 45
    assert all(answer.json["id"] in e.detail for e in harness.events)


def test_a_receiver_without_rooms_is_accepted_and_sends_nothing(tmp_path: Path) -> None:
    made = Harness(project(tmp_path, rooms={"critical": ("rec:c1",)}), Clock())
    try:
        answer = made.post(body(receiver="khp-warning"))

        assert answer.status_code == 200 and answer.json["rooms"] == []
        assert made.receiver.outbox.rows() == []
    finally:
        made.receiver.close()


def test_delivery_threads_started_by_the_app_send_at_once(tmp_path: Path) -> None:
    made = Harness(project(tmp_path), Clock(), start_workers=True)
    try:
        made.clock.now = time.time()
        made.post(body())
        deadline = time.monotonic() + 20
        while len(made.channel.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)

        assert sorted(target for target, _ in made.channel.sent) == ["c1", "c2"]
    finally:
        made.receiver.close()


# -- refused: one 4xx, its reason in JSON, one log line, never the token -----------------------------------


def refused(
    harness: Harness, caplog: pytest.LogCaptureFixture, answer: Any, status: int, reason: str
) -> logging.LogRecord:
    assert answer.status_code == status
    assert answer.is_json and reason in answer.json["error"]
    (line,) = receiver_logs(caplog)
    assert line.levelno == logging.WARNING
    text = line.getMessage()
    assert f"{status} " in text and reason in text
    assert TOKEN not in caplog.text and "Authorization:" not in caplog.text
    assert harness.receiver.outbox.rows() == []
    return line


def test_a_missing_token_is_401(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(), headers={"User-Agent": "Alertmanager/0.25.0"})

    line = refused(harness, caplog, answer, 401, "Authorization header missing")
    assert "Alertmanager/0.25.0" in line.getMessage()


def test_a_wrong_token_is_401_and_neither_token_is_logged(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(), headers=auth("not-the-token-" + TOKEN[:8]))

    refused(harness, caplog, answer, 401, "wrong bearer token")
    assert "not-the-token" not in caplog.text
    assert "not-the-token" not in answer.get_data(as_text=True)


def test_the_token_must_be_a_bearer_token(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(), headers={"Authorization": f"Basic {TOKEN}"})

    refused(harness, caplog, answer, 401, "not a Bearer token")


def test_a_body_that_is_not_json_content_is_415(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(data="version=4", content_type="application/x-www-form-urlencoded")

    refused(harness, caplog, answer, 415, "Content-Type must be application/json")


def test_a_body_that_does_not_parse_is_400(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(data='{"version": "4",', content_type="application/json")

    refused(harness, caplog, answer, 400, "body is not JSON")


def test_another_webhook_version_is_400(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(version="3"))

    refused(harness, caplog, answer, 400, 'version must be "4"')


def test_a_webhook_missing_fields_is_400_naming_the_field(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    broken = body()
    del broken["alerts"][1]["fingerprint"]

    answer = harness.post(broken)

    refused(harness, caplog, answer, 400, "alerts[1].fingerprint must be a non-empty string")


def test_a_webhook_without_alerts_is_400(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(alerts=[]))

    refused(harness, caplog, answer, 400, "alerts must be a non-empty list")


def test_an_unknown_receiver_name_is_422(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.post(body(receiver="kakao"))

    refused(harness, caplog, answer, 422, "receiver 'kakao' is not khp-<level>")


def test_other_methods_and_paths_are_json_4xx_too(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    answer = harness.client.get("/alertmanager", headers=auth())

    refused(harness, caplog, answer, 405, "not allowed")
    caplog.clear()
    assert harness.client.post("/webhook", json=body(), headers=auth()).status_code == 404


def test_a_body_over_the_limit_is_413(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    harness.app.config["MAX_CONTENT_LENGTH"] = 1000

    answer = harness.post(body(alerts=[alert(description="x" * 2000)]))

    refused(harness, caplog, answer, 413, "")


def test_an_outbox_that_cannot_be_written_is_503_so_alertmanager_retries(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenOutbox(Outbox):
        def accept(self, *args: Any, **kwargs: Any) -> str:
            raise OutboxError(f"cannot write a notification to the outbox {self.path}: disk I/O error")

    harness.receiver.outbox = BrokenOutbox(harness.receiver.settings.outbox)

    answer = harness.post(body())

    assert answer.status_code == 503 and "Alertmanager will retry" in answer.json["error"]
    assert any("disk I/O error" in r.getMessage() for r in receiver_logs(caplog))
    assert TOKEN not in caplog.text


def test_the_rooms_of_one_channel_share_one_rendering_at_send_time(harness: Harness) -> None:
    render, calls = harness.channel.render, []

    def counted(content: Any) -> dict[str, Any]:
        calls.append(content.notification_id)
        return render(content)

    harness.channel.render = counted  # type: ignore[method-assign]
    answer = harness.post(body())
    assert calls == []

    while harness.receiver.courier.deliver_one():
        pass

    assert calls == [answer.json["id"]] and len(harness.channel.sent) == 2

    harness.receiver.courier.record_finished()
    harness.clock.now += 2 * 3600  # Alertmanager's reminder: rendered anew, with the clock of its sending
    assert harness.post(body()).json["status"] == "repeated"
    while harness.receiver.courier.deliver_one():
        pass
    assert calls == [answer.json["id"]] * 2 and len(harness.channel.sent) == 4


def test_a_dead_letter_sent_again_by_hand_is_rendered_again_from_its_notification(harness: Harness) -> None:
    courier, outbox = harness.receiver.courier, harness.receiver.outbox
    harness.channel.failures = [DeliveryError("invalid_blocks", rejected=True)] * 2
    answer = harness.post(body())
    while courier.deliver_one():
        pass
    ident = answer.json["id"]
    assert [row["state"] for row in outbox.rows(ident)] == ["dead", "dead"]
    harness.channel.sent.clear()  # the notices of the dead letters

    assert outbox.retry() == 2  # khp outbox retry --all

    assert [(row["state"], row["payload"], row["level"]) for row in outbox.rows(ident)] == [("pending", "", 0)] * 2
    while courier.deliver_one():
        pass
    assert [row["state"] for row in outbox.rows(ident)] == ["sent", "sent"]
    assert [payload["id"] for _, payload in harness.channel.sent] == [ident] * 2


def test_a_message_that_cannot_be_rendered_is_kept_logged_and_sent_once_it_renders(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    render = harness.channel.render

    def broken(content: Any) -> dict[str, Any]:
        raise ValueError("block kit limits")

    harness.channel.render = broken  # type: ignore[method-assign]
    answer = harness.post(body())
    assert answer.status_code == 200 and answer.json["status"] == "accepted"  # stored: rendered when sent

    assert harness.receiver.courier.deliver_one()

    (row, _) = harness.receiver.outbox.rows()
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "cannot render the message: ValueError: block kit limits" in row["error"]
    assert any("cannot render notification" in r.getMessage() and r.exc_info for r in receiver_logs(caplog))
    assert harness.channel.sent == []

    harness.channel.render = render  # type: ignore[method-assign]
    harness.receiver.outbox.retry()  # or its backoff ends
    while harness.receiver.courier.deliver_one():
        pass
    assert [target for target, _ in harness.channel.sent] == ["c1", "c2"]
    assert {payload["id"] for _, payload in harness.channel.sent} == {answer.json["id"]}


def test_a_message_the_channel_cannot_render_in_full_is_sent_in_its_plain_form(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fail_on_full_messages(harness.channel)
    answer = harness.post(body())
    while harness.receiver.courier.deliver_one():
        pass

    assert [target for target, _ in harness.channel.sent] == ["c1", "c2"]
    (_, payload), _ = harness.channel.sent
    assert payload["id"] == answer.json["id"]
    assert payload["title"] == "[심각] alpha: Task slot usage"
    assert "a-ov1" in payload["text"] and "a-ov2" in payload["text"] and "간단한 형식" in payload["text"]
    assert [row["state"] for row in harness.receiver.outbox.rows()] == ["sent", "sent"]
    failed = [r for r in receiver_logs(caplog) if "could not be made in full" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info  # once: the rooms of the channel share the rendering


def test_the_chat_bot_is_served_beside_the_webhook(tmp_path: Path) -> None:
    with_bot = Harness(project(tmp_path / "with"), Clock())
    without = create_app(
        project(tmp_path / "without"), environ={}, start_workers=False, channels=CHANNELS, history=discard, bot=False
    )
    try:
        answer = with_bot.client.post("/kakaowork/callback", json={"type": "submit_action"})

        assert answer.status_code == 403 and answer.is_json  # no callback secret configured: it fails closed
        assert without.test_client().post("/kakaowork/callback", json={}).status_code == 404
    finally:
        with_bot.receiver.close()
        without.extensions["khp_receiver"].close()


# -- health ------------------------------------------------------------------------------------------------


def test_healthz_counts_the_outbox_and_the_age_of_the_oldest_pending_message(harness: Harness) -> None:
    harness.post(body())
    harness.clock.now += 42

    answer = harness.get("/healthz")

    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["outbox"] == {"pending": 2, "sent": 0, "dead": 0, "expired": 0, "failed": 0}
    assert answer.json["oldest_pending_seconds"] == 42


def test_healthz_fails_when_the_delivery_threads_are_gone(tmp_path: Path) -> None:
    made = Harness(project(tmp_path), Clock(), start_workers=True)
    made.receiver.workers.stop()

    answer = made.get("/healthz")

    assert answer.status_code == 503 and answer.json["workers"] == 0
    made.receiver.close()


# -- settings ----------------------------------------------------------------------------------------------


def test_the_path_comes_from_the_settings(tmp_path: Path) -> None:
    made = Harness(project(tmp_path, {"path": "/hooks/am"}), Clock())
    try:
        assert made.client.post("/hooks/am", json=body(), headers=auth()).status_code == 200
        assert made.client.post("/alertmanager", json=body(), headers=auth()).status_code == 404
    finally:
        made.receiver.close()


def test_the_path_defaults_to_that_of_routing_receiver_url(tmp_path: Path) -> None:
    config = project(tmp_path)
    routing = RoutingConfig(
        receiver_url="https://khp.example.com/am/webhook",
        credentials_file=config.routing.credentials_file,
        channels=config.routing.channels,
    )

    settings = receiver_settings(Config(file=config.file, routing=routing, components=config.components))

    assert settings.path == "/am/webhook"


def test_the_token_can_come_from_the_environment(tmp_path: Path) -> None:
    config = project(tmp_path, {"token_env": "KHP_RECEIVER_TOKEN"}, token=None)
    app = create_app(
        config, environ={"KHP_RECEIVER_TOKEN": "from-env"}, start_workers=False, channels=CHANNELS, history=discard
    )
    try:
        client = app.test_client()
        assert client.post("/alertmanager", json=body(), headers=auth("from-env")).status_code == 200
        assert client.post("/alertmanager", json=body(), headers=auth()).status_code == 401
    finally:
        app.extensions["khp_receiver"].close()


def test_the_defaults(tmp_path: Path) -> None:
    settings = receiver_settings(project(tmp_path))

    assert settings.path == "/alertmanager"
    assert settings.token_file == tmp_path / "receiver-token"
    assert settings.outbox == tmp_path / "var" / "khp-outbox.db"
    assert (settings.language, settings.summarize_after, settings.duplicate_window) == ("ko", 10, 7200)
    delivery = settings.delivery
    assert (delivery.give_up_after, delivery.backoff, delivery.max_backoff, delivery.lease, delivery.workers) == (
        86400.0,
        2.0,
        300.0,
        60.0,
        2,
    )


def test_every_setting_is_read(tmp_path: Path) -> None:
    settings = receiver_settings(
        project(
            tmp_path,
            {
                "path": "/am",
                "token_file": "secrets/token",
                "outbox": "/srv/khp/outbox.db",
                "language": "en",
                "console_url": "https://khp.example.com/",
                "alertmanager_url": "https://am.example.com",
                "summarize_after": 5,
                "duplicate_window": "30m",
                "delivery": {"give_up_after": "2h", "backoff": "1s", "max_backoff": "1m", "lease": "30s", "workers": 4},
                "channels": {"kakaowork": {"app_key_env": "KW_KEY"}},
                "bot": {"anything": "the bot reads this"},
            },
        )
    )

    assert settings.path == "/am" and settings.token_file == tmp_path / "secrets" / "token"
    assert settings.outbox == Path("/srv/khp/outbox.db")
    assert (settings.language, settings.console_url, settings.alertmanager_url) == (
        "en",
        "https://khp.example.com",
        "https://am.example.com",
    )
    assert settings.duplicate_window == 1800
    assert settings.delivery.lease == 30 and settings.delivery.workers == 4 and settings.delivery.max_backoff == 60
    assert settings.delivery.give_up_after == 7200
    assert dict(settings.channels["kakaowork"]) == {"app_key_env": "KW_KEY"}


@pytest.mark.parametrize(
    ("section", "key", "problem"),
    [
        ({"language": "fr"}, "receiver.language", "expected one of ko, en"),
        ({"languages": "ko"}, "receiver.languages", "unknown key"),
        ({"path": "alertmanager"}, "receiver.path", "expected a URL path"),
        ({"path": "/healthz"}, "receiver.path", "not / or /healthz"),
        ({"token_file": "t", "token_env": "T"}, "receiver.token_env", "not both"),
        ({"token_env": "KHP TOKEN"}, "receiver.token_env", "not an environment variable name"),
        ({"console_url": "khp.example.com"}, "receiver.console_url", "http:// or https:// URL"),
        ({"summarize_after": 0}, "receiver.summarize_after", "whole number of 1 or more"),
        ({"duplicate_window": "4h"}, "receiver.duplicate_window", "shorter than the shortest repeat_interval"),
        ({"delivery": {"attempts": 10}}, "receiver.delivery.attempts", "there is no retry budget any more"),
        ({"delivery": {"give_up_after": "1m"}}, "receiver.delivery.give_up_after", "at least max_backoff"),
        ({"delivery": {"backoff": "soon"}}, "receiver.delivery.backoff", "is not a duration"),
        ({"delivery": {"backoff": "1m", "max_backoff": "10s"}}, "receiver.delivery.max_backoff", "at least backoff"),
        ({"delivery": {"lease": 0}}, "receiver.delivery.lease", "longer than 0"),
        ({"delivery": {"retries": 3}}, "receiver.delivery.retries", "unknown key"),
        ({"channels": {"Kakao Work": {}}}, "receiver.channels.Kakao Work", "channel plugin name"),
        ({"channels": {"kakaowork": ["x"]}}, "receiver.channels.kakaowork", "expected a mapping"),
        ({"bot": "on"}, "receiver.bot", "expected a mapping"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(
    tmp_path: Path, section: dict[str, Any], key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        receiver_settings(project(tmp_path, section))

    assert (caught.value.file, caught.value.key) == (str(tmp_path / "khp.yml"), key)
    assert problem in caught.value.problem


def test_a_missing_token_file_stops_the_app_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(project(tmp_path, token=None), environ={}, start_workers=False, channels=CHANNELS, history=discard)

    assert caught.value.key == "receiver.token_file"
    assert "receiver-token" in caught.value.problem and "token_env" in caught.value.problem


def test_an_empty_token_env_stops_the_app(tmp_path: Path) -> None:
    config = project(tmp_path, {"token_env": "KHP_RECEIVER_TOKEN"})
    with pytest.raises(ConfigError, match="KHP_RECEIVER_TOKEN is empty or not set") as caught:
        create_app(config, environ={"KHP_RECEIVER_TOKEN": " "}, start_workers=False, channels=CHANNELS, history=discard)

    assert caught.value.key == "receiver.token_env"


def test_a_room_of_an_unknown_channel_stops_the_app_naming_it(tmp_path: Path) -> None:
    config = project(tmp_path, rooms={"critical": ("carrier-pigeon:loft1",)})

    with pytest.raises(ConfigError) as caught:
        create_app(config, environ={}, start_workers=False, history=discard)

    assert caught.value.key == "receiver.channels.carrier-pigeon"
    assert "unknown channel 'carrier-pigeon'" in caught.value.problem


def test_every_room_needs_a_channel_when_channels_are_given(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(project(tmp_path), environ={}, start_workers=False, channels={}, history=discard)

    assert caught.value.key == "receiver.channels.rec"


def test_the_lease_must_outlast_every_channel_s_timeout(tmp_path: Path) -> None:
    class Slow(RecordingChannel):
        timeout = 60.0

    config = project(tmp_path, {"delivery": {"lease": "1m"}})
    with pytest.raises(ConfigError) as caught:
        create_app(config, environ={}, start_workers=False, channels={"rec": Slow()}, history=discard)

    assert caught.value.key == "receiver.delivery.lease" and "channel rec's timeout (60s)" in caught.value.problem


def test_bad_channel_options_stop_the_app_naming_the_channel(tmp_path: Path) -> None:
    config = project(tmp_path, {"channels": {"console": {"stream": "printer"}}}, rooms={"critical": ("console:ops",)})

    with pytest.raises(ConfigError) as caught:
        create_app(config, environ={}, start_workers=False, history=discard)

    assert caught.value.key == "receiver.channels.console"
    assert "stream" in caught.value.problem


def test_the_public_surface_is_pinned() -> None:
    import kakao_receiver

    assert kakao_receiver.__all__ == [
        "Alert",
        "Channel",
        "DeliveryError",
        "DeliverySettings",
        "Links",
        "MessageContent",
        "Notification",
        "OutboxError",
        "ReceiverSettings",
        "Room",
        "WebhookError",
        "compose",
        "create_app",
        "parse_webhook",
        "receiver_settings",
    ]
    assert all(hasattr(kakao_receiver, name) for name in kakao_receiver.__all__)


def test_rooms_edited_in_a_cluster_file_apply_to_the_next_webhook_without_a_restart(tmp_path: Path) -> None:
    from khp.configuration import load_config

    (tmp_path / "clusters").mkdir()
    (tmp_path / "receiver-token").write_text(TOKEN + "\n")
    (tmp_path / "clusters" / "gamma.yml").write_text("# gamma\n")
    (tmp_path / "khp.yml").write_text(
        "routing: {credentials_file: receiver-token, channels: {warning: ['webhook:w1'], critical: ['webhook:c1']}}\n"
        "clusters_dir: clusters\n"
    )
    made = Harness(load_config(tmp_path / "khp.yml"), Clock(), name="webhook")  # a known channel: the files are checked
    try:
        gamma = {"groupLabels": {"alertname": "Task slot usage", "cluster": "gamma"}}
        assert made.post(body(receiver="khp-gamma-warning", **gamma)).json["rooms"] == ["webhook:w1"]
        (tmp_path / "clusters" / "gamma.yml").write_text("channels: {warning: ['webhook:night']}\n")
        answer = made.post(body(receiver="khp-gamma-warning", **gamma, status="resolved"))
        assert answer.json["rooms"] == ["webhook:night"]
    finally:
        made.receiver.close()
