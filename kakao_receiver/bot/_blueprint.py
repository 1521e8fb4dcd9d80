"""The chat bot's Flask blueprint: ``POST /kakaowork/callback`` and ``POST /kakao/skill``.

Views are thin: check the shared secret (none configured: 403, the bot fails closed), read the
body (at most ``MAX_BODY`` bytes, bounded nesting), hand the command to ``Bot``, shape its
answer for the platform. Both answer within Kakao's 5 seconds: Alertmanager requests share the
``receiver.bot.budget``, and one that does not make it becomes "Alertmanager did not answer".
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import flask
from flask import Blueprint, jsonify, request

from evaluator import EvaluatorError
from khp.configuration import Config
from khp.history import HistoryEvent
from khp.silences import AlertmanagerClient, SilenceService

from .._body import BodyError, read_json
from .._content import check_id
from ._alerts import AlertReader
from ._allow import Actor, AllowList
from ._bot import Bot, Recorder
from ._budget import Budget
from ._callback import (
    REQUEST_MODAL,
    SUBMIT_ACTION,
    Callback,
    InvalidCallback,
    button_command,
    read_callback,
    submission_command,
)
from ._modal import modal_view, notice_view
from ._parser import parse_command
from ._phrases import say
from ._settings import bot_settings, secret_problems
from ._skill import InvalidSkillRequest, read_skill_request, skill_answer

log = logging.getLogger("kakao_receiver.bot")

TOKEN_HEADER = "X-KHP-Bot-Token"
TOKEN_PARAMETER = "token"
MAX_BODY = 64 * 1024  # Kakao's skill requests and callbacks are a few KiB
Reply = Callable[[str, str], None]
Record = Callable[[Sequence[HistoryEvent]], None]


def bot_blueprint(
    config: Config,
    *,
    service: SilenceService | None = None,
    history: Record | Recorder | list[HistoryEvent] | None = None,
    clock: Callable[[], float] = time.time,
    reply: Reply | None = None,
    environ: Mapping[str, str] | None = None,
) -> Blueprint:
    """The bot's routes, configured by ``receiver.bot`` (``ConfigError`` names the key).

    ``service`` defaults to a ``SilenceService`` whose Alertmanager requests fit the bot's time
    budget; ``history`` receives the ``action`` events: ``record(events)`` (the receiver's
    ``open_history(config).record``), a ``History``, or a list (tests);
    ``reply(conversation_id, text)`` tells KakaoWork users what their button did (it must not
    block: ``ChannelReply`` sends in the background); ``environ`` holds the shared secrets.
    """
    settings = bot_settings(config, environ)
    for problem in secret_problems(settings, config.file or "khp.yml"):
        log.warning("the chat bot fails closed: %s", problem)
    budget = Budget(settings.budget)
    session = budget.session()
    if service is None:
        client = AlertmanagerClient(config.alertmanager.urls, settings.timeout, session)
        service = SilenceService(config, clock=clock, client=client)
    _load_checks(service)
    bot = Bot(
        config,
        service,
        AlertReader(config.alertmanager.urls, settings.timeout, session),
        AllowList(settings.allow, settings.viewers),
        budget,
        _recorder(history),
        clock,
    )
    longest = max(config.silences.max_maintenance, config.silences.max_mute)
    language = settings.language
    blueprint = Blueprint("khp_bot", __name__)

    @blueprint.post(settings.skill_path)
    def skill() -> flask.typing.ResponseReturnValue:
        if not _authorized(settings.skill_token):
            return _forbidden()
        try:
            asked = read_skill_request(_body())
        except BodyError as exc:
            return _bad_request(exc, exc.status)
        except InvalidSkillRequest as exc:
            return _bad_request(exc)
        text = bot.answer(parse_command(asked.utterance, language), Actor("kakaotalk", asked.user))
        return jsonify(skill_answer(text))

    @blueprint.post(settings.callback_path)
    def callback() -> flask.typing.ResponseReturnValue:
        if not _authorized(settings.callback_token):
            return _forbidden()
        try:
            pressed = _named_check(read_callback(_body()), service)
        except BodyError as exc:
            return _bad_request(exc, exc.status)
        except InvalidCallback as exc:
            return _bad_request(exc)
        actor = Actor("kakaowork", pressed.user)
        if pressed.type == REQUEST_MODAL:
            if not pressed.cluster:
                name = f"{pressed.action_name} {pressed.raw_value}".strip()
                return jsonify(notice_view(language, pressed.raw_value, say(language, "button.unknown", name=name)))
            refusal = bot.form_refusal(actor, pressed.cluster, pressed.check, language, pressed.conversation)
            if refusal is not None:
                return jsonify(notice_view(language, pressed.raw_value, refusal))
            return jsonify(modal_view(pressed, language, longest))
        read = button_command if pressed.type == SUBMIT_ACTION else submission_command
        text = bot.answer(read(pressed, language), actor, room=pressed.conversation)
        if reply is not None and pressed.conversation:
            try:
                reply(pressed.conversation, text)
            except Exception:  # KakaoWork only needs its {}; the outcome is in the log and history
                log.exception("could not reply to KakaoWork conversation %s", pressed.conversation)
        return jsonify({})

    return blueprint


def _body() -> Any:
    """The JSON body; ``None`` (a 400 from the reader) for one that is not JSON."""
    try:
        return read_json(request, MAX_BODY)
    except BodyError as exc:
        if exc.status == 400 and "not JSON" in exc.reason:
            return None
        raise


def _named_check(pressed: Callback, service: SilenceService) -> Callback:
    """A button whose check name was too long for its value carries ``check_id``: find the name again."""
    wanted = pressed.value.get("check_id")
    if not wanted or pressed.check:
        return pressed
    try:
        name = next((check for check in service.known_checks() if check_id(check) == wanted), "")
    except EvaluatorError:
        name = ""
    if not name:
        return pressed
    return dataclasses.replace(pressed, value=MappingProxyType({**pressed.value, "check": name}))


def _authorized(token: str) -> bool:
    """The request carries the endpoint's secret (header, else query parameter); without a secret, none does."""
    if not token:
        return False
    given = request.headers.get(TOKEN_HEADER) or request.args.get(TOKEN_PARAMETER) or ""
    return hmac.compare_digest(given.encode(), token.encode())


def _forbidden() -> flask.typing.ResponseReturnValue:
    log.warning(
        "rejected POST %s from %s: missing or wrong shared secret (%s header or ?%s=; none configured refuses all)",
        request.path,
        request.remote_addr,
        TOKEN_HEADER,
        TOKEN_PARAMETER,
    )
    return jsonify({"error": "forbidden: missing or wrong shared secret"}), 403


def _bad_request(exc: Exception, status: int = 400) -> flask.typing.ResponseReturnValue:
    log.warning("rejected POST %s from %s: %d %s", request.path, request.remote_addr, status, exc)
    return jsonify({"error": str(exc)}), status


def _recorder(history: Record | Recorder | list[HistoryEvent] | None) -> Record:
    if history is None:
        log.warning("the chat bot records no history: pass history=open_history(config).record to bot_blueprint")
        return lambda events: None
    if isinstance(history, list):
        return history.extend
    if isinstance(history, Recorder):
        return history.record
    return history


def _load_checks(service: SilenceService) -> None:
    """Import the monitors now, not within a chat answer's five seconds, to know the check names."""
    try:
        service.known_checks()
    except EvaluatorError as exc:
        log.warning("the chat bot cannot list check names yet (mutes will fail until fixed): %s", exc)
