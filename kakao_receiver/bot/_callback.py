"""KakaoWork reactive callbacks (buttons and modals) read into ``Command``s; pure, no I/O.

KakaoWork POSTs one of three bodies to the bot's Callback URL::

    {"type": "submit_action", "react_user_id": 123, "action_name": "mute",
     "value": "check=Too many tablets;cluster=alpha;level=off;minutes=60", "message": {...}, "action_time": ...}
    {"type": "request_modal", "react_user_id": 123, "action_name": "custom", "value": "check=...;cluster=alpha", ...}
    {"type": "submission", "react_user_id": 123, "value": "<the view's value>",
     "actions": {"what": "cri", "duration": "2h", "reason": "..."}, ...}

The buttons are the alert messages' (``kakao_receiver._content``): ``mute`` with
``check;cluster;level=off|cri;minutes``, ``maintenance`` with ``cluster;minutes``, and the
``call_modal`` button ``custom`` with ``check;cluster``. Values are ``key=value`` pairs joined by
``;``, each value percent-encoded.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._commands import Command, Mute, ParseError, StartMaintenance
from ._durations import parse_chat_duration
from ._phrases import say

SUBMIT_ACTION = "submit_action"
REQUEST_MODAL = "request_modal"
SUBMISSION = "submission"
TYPES = (SUBMIT_ACTION, REQUEST_MODAL, SUBMISSION)
MUTE_BUTTON = "mute"
MAINTENANCE_BUTTON = "maintenance"
CUSTOM_BUTTON = "custom"
WHAT = ("off", "cri", "maintenance")  # the modal's choices


class InvalidCallback(ValueError):
    """The body is not a KakaoWork reactive callback; the message says what is missing."""


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Callback:
    """One reactive callback: who (``user``, KakaoWork's react_user_id), where, and what."""

    type: str
    user: str
    conversation: str = ""
    action_name: str = ""
    raw_value: str = ""
    value: Mapping[str, str] = field(default_factory=_empty)
    inputs: Mapping[str, str] = field(default_factory=_empty)

    @property
    def cluster(self) -> str:
        return self.value.get("cluster", "")

    @property
    def check(self) -> str:
        return self.value.get("check", "")


def read_callback(body: Any) -> Callback:
    """The ``Callback`` in a parsed JSON ``body``; ``InvalidCallback`` if it is none."""
    if not isinstance(body, Mapping):
        raise InvalidCallback("expected a JSON object")
    kind = body.get("type")
    if kind not in TYPES:
        raise InvalidCallback(f"unknown callback type {kind!r}; expected one of {', '.join(TYPES)}")
    user = body.get("react_user_id")
    if isinstance(user, bool) or not isinstance(user, (int, str)) or not str(user).strip().isdigit():
        raise InvalidCallback(f"react_user_id must be KakaoWork's numeric user id, got {user!r}")
    message = body.get("message")
    conversation = message.get("conversation_id", "") if isinstance(message, Mapping) else ""
    raw_value = body.get("value") or ""
    if not isinstance(raw_value, str):
        raise InvalidCallback(f"value must be a string, got {type(raw_value).__name__}")
    inputs = body.get("actions") or {}
    if kind == SUBMISSION and not isinstance(inputs, Mapping):
        raise InvalidCallback("a submission's actions must be an object of the modal's inputs")
    action_name = body.get("action_name") or ""
    return Callback(
        type=str(kind),
        user=str(user).strip(),
        conversation=str(conversation or ""),
        action_name=str(action_name),
        raw_value=raw_value,
        value=MappingProxyType(decode_value(raw_value)),
        inputs=MappingProxyType({str(k): "" if v is None else str(v) for k, v in dict(inputs).items()}),
    )


def decode_value(value: str) -> dict[str, str]:
    """``check=Disk%3Busage;cluster=alpha`` -> ``{"check": "Disk;usage", "cluster": "alpha"}``."""
    pairs: dict[str, str] = {}
    for part in value.split(";"):
        key, sep, text = part.partition("=")
        if sep and key.strip():
            pairs[key.strip()] = urllib.parse.unquote(text)
    return pairs


def button_command(callback: Callback, language: str) -> Command | ParseError:
    """The command a ``submit_action`` button stands for (mute 1h, critical only 1h, maintenance 2h)."""
    reason = say(language, "button.reason")
    minutes = _minutes(callback.value.get("minutes", ""))
    if callback.action_name == MUTE_BUTTON:
        level = callback.value.get("level", "")
        if callback.check and callback.cluster and level in ("off", "cri") and minutes:
            return Mute(callback.check, callback.cluster, level, minutes * 60.0, reason, language)
    elif callback.action_name == MAINTENANCE_BUTTON and callback.cluster and minutes:
        return StartMaintenance(callback.cluster, minutes * 60.0, reason, language)
    name = f"{callback.action_name} {callback.raw_value}".strip()
    return ParseError(say(language, "button.unknown", name=name), "", language)


def submission_command(callback: Callback, language: str) -> Command | ParseError:
    """The command a submitted custom-duration modal stands for."""
    what = callback.inputs.get("what", "")
    seconds = parse_chat_duration(callback.inputs.get("duration", ""))
    reason = callback.inputs.get("reason", "").strip() or say(language, "button.reason")
    if seconds is None or seconds <= 0:
        return ParseError(say(language, "parse.how_long"), "", language)
    if what == "maintenance" and callback.cluster:
        return StartMaintenance(callback.cluster, seconds, reason, language)
    if what in ("off", "cri") and callback.check and callback.cluster:
        return Mute(callback.check, callback.cluster, what, seconds, reason, language)
    name = f"{what} {callback.raw_value}".strip()
    return ParseError(say(language, "button.unknown", name=name), "", language)


def _minutes(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0
