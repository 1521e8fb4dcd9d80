"""The receiver's Flask app: Alertmanager's webhook in, durable outbox, delivery threads out.

``POST <receiver.path>`` checks the bearer token, the content type and the body, finds the
receiver's rooms, composes and renders the message for each room and commits it all to the
outbox before answering 200. Rejections are 4xx with ``{"error": reason}`` and one log line,
never showing the token; a body over ``MAX_BODY`` is 413 (never read further), one nested too
deeply 400. ``GET /healthz`` reports the outbox and the delivery threads, ``GET /metrics`` the
outbox per channel and state (dead letters included).
"""

from __future__ import annotations

import atexit
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from khp.configuration import Config, ConfigError, LiveConfig, load_config
from khp.routing import UnknownReceiver, critical_rooms, receiver_rooms, rooms_for_receiver

from ._body import BodyError, read_json
from ._channel import Channel, Room
from ._content import Links, MessageContent, compose, plain_content
from ._deadletter import DeadLetterNotices
from ._delivery import Courier, Recorder, Workers
from ._forms import fit
from ._intake import Intake
from ._lookout import Lookout
from ._metrics import metrics_view
from ._outbox import Outbox, OutboxError
from ._settings import ReceiverSettings, read_token, receiver_settings
from ._webhook import Notification, WebhookError, parse_webhook

log = logging.getLogger("kakao_receiver")

MAX_BODY = 16 * 1024 * 1024  # Alertmanager sends every alert of a group in one body
DEFAULT_CONFIG = "khp.yml"


@dataclass
class Receiver:
    """What the app's views and threads share; ``app.extensions['khp_receiver']``."""

    config: Config
    settings: ReceiverSettings
    token: str
    channels: Mapping[str, Channel]
    outbox: Outbox
    courier: Courier
    workers: Workers
    clock: Callable[[], float]
    closing: list[Callable[[], None]] = field(default_factory=list)
    intake: Intake | None = None
    lookout: Lookout | None = None
    live: LiveConfig | None = None  # the cluster files as they are now: rooms edited in the console apply at once

    def rooms(self, name: str) -> tuple[str, ...]:
        """The rooms of receiver ``name`` by the cluster files as they are now."""
        return rooms_for_receiver(self.live.current() if self.live is not None else self.config, name)

    def close(self) -> None:
        """Stop the delivery threads (each finishes the message in hand), the lookout, the bot's replies, the outbox."""
        self.workers.stop()
        if self.lookout is not None:
            self.lookout.stop()
        for close in self.closing:
            close()
        self.outbox.close()


class Rejected(Exception):
    """A webhook refused with ``status`` (4xx: Alertmanager will not retry; 5xx: it will)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def create_app(
    config: Config | str | Path | None = None,
    *,
    clock: Callable[[], float] = time.time,
    environ: Mapping[str, str] = os.environ,
    start_workers: bool = True,
    channels: Mapping[str, Channel] | None = None,
    history: Recorder | None = None,
    bot: bool = True,
) -> Flask:
    """The receiver app for ``config`` (a ``Config``, a path, or ``$KHP_CONFIG`` / ``./khp.yml``).

    ``channels`` (plugin name -> channel) replaces loading them with ``load_channel``, and
    ``history`` replaces ``open_history(config).record``; tests pass their own. With
    ``start_workers`` the delivery threads start now, in this process (one set per gunicorn
    worker). With ``bot`` the chat bot's routes (``kakao_receiver.bot``, ``receiver.bot``) are
    served too, answering KakaoWork buttons through the ``kakaowork`` channel. Raises
    ``ConfigError`` naming the file and key for any bad setting.
    """
    if not isinstance(config, Config):
        config = load_config(config or environ.get("KHP_CONFIG") or DEFAULT_CONFIG)
    settings = receiver_settings(config)
    token = read_token(settings, environ)
    if channels is None:
        channels = load_channels(config, settings, environ)
    missing = [name for name in room_channels(config) if name not in channels]
    if missing:
        raise ConfigError(config.file, f"receiver.channels.{missing[0]}", "no such channel was given to create_app")
    _check_lease(config, settings, channels)
    if history is None:
        from khp.history import open_history

        history = open_history(config, environ=environ, clock=clock).record
    try:
        outbox = Outbox(settings.outbox, clock)
    except OutboxError as exc:
        raise ConfigError(config.file, "receiver.outbox", str(exc)) from None
    links = Links(console_url=settings.console_url, alertmanager_url=settings.alertmanager_url)
    notices = DeadLetterNotices(outbox, channels, settings.language, links, settings.summarize_after, clock)
    courier = Courier(
        outbox, channels, settings.delivery, history, clock=clock, retention=config.store.retention, on_dead=notices,
        render=lambda body, room: _render_later(receiver, body, room),  # the receiver is built just below
    )  # fmt: skip
    receiver = Receiver(
        config, settings, token, channels, outbox, courier, Workers(courier, settings.delivery.workers), clock
    )
    receiver.live = LiveConfig(config)
    _watch_the_evaluator(receiver)

    app = Flask("kakao_receiver")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    app.extensions["khp_receiver"] = receiver
    app.add_url_rule(settings.path, "alertmanager", lambda: _webhook(receiver), methods=["POST"])
    # the webhook waits on nothing but the outbox: the receiver's worker answers it in its event loop
    app.extensions["khp_cooperative_paths"] = frozenset({settings.path})
    app.extensions["khp_busy_while"] = receiver.workers.traffic.serving  # its delivery threads wait for a quiet loop
    app.add_url_rule("/healthz", "healthz", lambda: _health(receiver, start_workers), methods=["GET"])
    app.add_url_rule("/metrics", "metrics", metrics_view(outbox, clock), methods=["GET"])
    app.register_error_handler(HTTPException, _http_error)
    if bot:
        _mount_bot(app, receiver, history, environ)
    if start_workers:
        receiver.workers.start()
        atexit.register(receiver.workers.stop)
        if receiver.lookout is not None:
            receiver.lookout.start()
            atexit.register(receiver.lookout.stop)
    return app


def _watch_the_evaluator(receiver: Receiver) -> None:
    """The intake (ledger, held resolutions, heartbeat) and the lookout, on state beside the outbox."""
    from ._holding import Holding
    from ._ledger import Ledger
    from ._lookout import ActiveAlerts, Lookout
    from ._statefile import StateFile
    from ._watch import Watch

    settings = receiver.settings
    try:
        state = StateFile(settings.outbox)
    except OutboxError as exc:
        raise ConfigError(receiver.config.file, "receiver.outbox", str(exc)) from None
    ledger, holding, watch = Ledger(state), Holding(state), Watch(state)
    window = settings.duplicate_window
    receiver.intake = Intake(ledger, holding, watch, window, receiver.clock)
    alertmanager = ActiveAlerts(receiver.config.alertmanager.urls, receiver.config.alertmanager.timeout)
    receiver.lookout = Lookout(
        watch, holding, ledger, receiver.outbox, alertmanager, critical_rooms(receiver.config), settings.blind_after,
        settings.language, window, lambda what, rooms: _payloads(receiver, what, rooms), receiver.clock,
        wake=receiver.workers.wake,
    )  # fmt: skip
    receiver.closing += [alertmanager.close, state.close]


def _check_lease(config: Config, settings: ReceiverSettings, channels: Mapping[str, Channel]) -> None:
    """A lease shorter than a send may take would let a second worker send the same message."""
    for name, channel in channels.items():
        timeout = getattr(channel, "timeout", None)
        if isinstance(timeout, (int, float)) and settings.delivery.lease <= timeout:
            raise ConfigError(
                config.file,
                "receiver.delivery.lease",
                f"must be longer than channel {name}'s timeout ({timeout:g}s), got {settings.delivery.lease:g}s: "
                "a send still waiting for its answer would be taken over by another worker and sent twice",
            )


def _mount_bot(app: Flask, receiver: Receiver, history: Recorder, environ: Mapping[str, str]) -> None:
    from .bot import ChannelReply, bot_blueprint

    kakaowork = receiver.channels.get("kakaowork")
    reply = ChannelReply(kakaowork) if kakaowork is not None else None
    if reply is not None:
        receiver.closing.append(reply.close)
    app.register_blueprint(
        bot_blueprint(receiver.config, history=history, clock=receiver.clock, reply=reply, environ=environ)
    )


def load_channels(config: Config, settings: ReceiverSettings, environ: Mapping[str, str]) -> dict[str, Channel]:
    """Every channel a room of the config names, plus those under ``receiver.channels``, set up once."""
    from .channels import ChannelConfigError, load_channel

    channels = {}
    for name in dict.fromkeys([*settings.channels, *room_channels(config)]):
        try:
            channels[name] = load_channel(name, settings.channels.get(name, {}), environ)
        except ChannelConfigError as exc:
            raise ConfigError(config.file, f"receiver.channels.{name}", str(exc)) from None
    return channels


def room_channels(config: Config) -> list[str]:
    """The channel plugins the rooms of ``config`` name, in order of appearance."""
    names: dict[str, None] = {}
    for receiver, rooms in receiver_rooms(config).items():
        for room in rooms:
            try:
                names.setdefault(Room.parse(room).channel)
            except ValueError as exc:
                raise ConfigError(config.file, "routing.channels", f"receiver {receiver}: {exc}") from None
    return list(names)


def _webhook(receiver: Receiver) -> tuple[Response, int]:
    with receiver.workers.traffic.serving():  # the delivery threads of this process wait for it
        return _answer(receiver)


def _answer(receiver: Receiver) -> tuple[Response, int]:
    try:
        notification, payload, rooms = _read(receiver)
        answer = _store(receiver, notification, payload, rooms)
    except Rejected as exc:
        _log_rejection(exc.status, exc.reason)
        return jsonify(error=exc.reason), exc.status
    if answer["status"] != "duplicate":
        receiver.workers.wake()
    if answer["status"] == "heartbeat":  # every repeat of it: too often to log above debug
        log.debug("heartbeat from the evaluator via receiver %s", notification.receiver)
        return jsonify(answer), 200
    log.log(
        logging.INFO if rooms else logging.WARNING,
        "%s notification %s from receiver %s: %d alerts, rooms %s",
        answer["status"], notification.id, notification.receiver, len(notification.alerts),
        ", ".join(rooms) or "none (the config gives this receiver no rooms: nothing is sent)",
    )  # fmt: skip
    return jsonify(answer), 200


def _read(receiver: Receiver) -> tuple[Notification, dict[str, Any], tuple[str, ...]]:
    """The checked webhook: its notification, decoded body and rooms; ``Rejected`` otherwise."""
    problem = _unauthorized(request.headers.get("Authorization"), receiver.token)
    if problem:
        raise Rejected(401, problem)
    if request.mimetype != "application/json":
        got = request.content_type or "none"
        raise Rejected(415, f"Content-Type must be application/json (Alertmanager's webhook), got {got}")
    try:
        payload = read_json(request, MAX_BODY)
    except BodyError as exc:
        raise Rejected(exc.status, exc.reason) from None
    try:
        notification = parse_webhook(payload)
    except WebhookError as exc:
        raise Rejected(400, f"not an Alertmanager webhook (version 4): {exc}") from None
    try:
        rooms = receiver.rooms(notification.receiver)
    except UnknownReceiver as exc:
        raise Rejected(422, str(exc)) from None
    return notification, payload, rooms


def _unauthorized(header: str | None, token: str) -> str:
    """Why the ``Authorization`` header does not carry the token, or ``''``. Never says what was sent."""
    if not header:
        return "Authorization header missing; set http_config.authorization.credentials_file in alertmanager.yml"
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return "Authorization is not a Bearer token"
    if not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return "wrong bearer token; Alertmanager's credentials_file must hold the receiver's token"
    return ""


def _store(
    receiver: Receiver, notification: Notification, payload: dict[str, Any], rooms: tuple[str, ...]
) -> dict[str, Any]:
    """Commit (``_intake``); 200's body. Outbox trouble is a 503 so that Alertmanager retries.

    The messages are composed and rendered when they are sent (``_render_later``), not here.
    """
    assert receiver.intake is not None
    try:
        render = lambda _part, to: _later(receiver, to)  # noqa: E731
        answer = receiver.intake.take(notification, payload, rooms, render, receiver.outbox)
    except OutboxError as exc:
        log.error("cannot store notification %s: %s", notification.id, exc)
        raise Rejected(503, "the outbox cannot be written; Alertmanager will retry") from None
    return answer


def _later(receiver: Receiver, rooms: tuple[str, ...]) -> dict[str, None]:
    """A webhook's rooms, each message to be rendered when it is sent (``Outbox.accept``'s ``None``)."""
    for text in rooms:
        _channel(receiver, Room.parse(text))
    return dict.fromkeys(rooms)


def _render_later(receiver: Receiver, body: str, room: Room) -> Mapping[str, Any]:
    """A stored notification's message for ``room`` (a webhook's, or a confirmed held resolution's), as it is sent.

    The courier calls it (``Courier(render=...)``) with the body the outbox kept. Composed with
    the configuration and the clock of the moment it is sent; the courier fits it to the
    channel's rules. When composing or the channel's rendering raises, the plain form
    (``plain_content``: status, check, cluster and host of each alert) is rendered instead; when
    that raises too, the courier keeps the row and tries it again later.
    """
    notification = parse_webhook(json.loads(body))
    channel = _channel(receiver, room)
    try:
        return channel.render(_compose(receiver, notification))
    except Exception:  # a bug must not keep the alert from the room: its plain form says what fires
        log.exception(
            "notification %s: its %s message could not be made in full; sending its plain form",
            notification.id, room.channel,
        )  # fmt: skip
        return channel.render(plain_content(notification, receiver.settings.language))


def _compose(receiver: Receiver, notification: Notification) -> MessageContent:
    settings = receiver.settings
    links = Links(console_url=settings.console_url, alertmanager_url=settings.alertmanager_url)
    return compose(notification, settings.language, links, max_alerts=settings.summarize_after, now=receiver.clock())


def _channel(receiver: Receiver, room: Room) -> Channel:
    """The channel of ``room``; ``Rejected`` 503 when this receiver did not load it."""
    channel = receiver.channels.get(room.channel)
    if channel is None:
        log.error("room %s: channel %s is not loaded; restart the receiver with the new config", room, room.channel)
        raise Rejected(503, f"room {room}: channel {room.channel} is not set up in this receiver")
    return channel


def _payloads(receiver: Receiver, what: Notification | MessageContent, rooms: tuple[str, ...]) -> dict[str, Any]:
    """Each room's channel payload of ``what``, fit to its channel's rules.

    A notification (a held resolution the lookout confirms) is stored like a webhook's, to be
    rendered when it is sent (``_later``); a notice (blind, restored) is rendered now.
    """
    if isinstance(what, Notification):
        return _later(receiver, rooms)
    rendered: dict[str, Any] = {}
    payloads = {}
    for text in rooms:
        room = Room.parse(text)
        channel = _channel(receiver, room)
        if room.channel not in rendered:
            rendered[room.channel], problems = fit(channel, channel.render(what))
            if problems:
                log.warning(
                    "notice: the %s message breaks its rules (%s); storing a simpler form",
                    room.channel, "; ".join(problems[:3]),
                )  # fmt: skip
        payloads[text] = rendered[room.channel]
    return payloads


def _health(receiver: Receiver, workers_expected: bool) -> tuple[Response, int]:
    try:
        counts = receiver.outbox.counts()
        oldest = receiver.outbox.oldest_pending()
    except OutboxError as exc:
        return jsonify(status="failing", error=str(exc)), 503
    alive = receiver.workers.alive
    ok = alive == receiver.workers.count or not workers_expected
    return jsonify(
        status="ok" if ok else "failing",
        outbox=counts,
        oldest_pending_seconds=None if oldest is None else round(receiver.clock() - oldest, 3),
        workers=alive,
        pid=os.getpid(),
    ), (200 if ok else 503)


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    if 400 <= status < 500:
        _log_rejection(status, exc.description or exc.name)
    return jsonify(error=exc.description or exc.name), status


def _log_rejection(status: int, reason: str) -> None:
    agent = request.headers.get("User-Agent", "-")
    log.warning(
        "rejected %s %s from %s (%s): %d %s", request.method, request.path, request.remote_addr, agent, status, reason
    )
