"""Kakao i OpenBuilder skill requests and answers (KakaoTalk channel bots); pure.

OpenBuilder POSTs ``{"userRequest": {"utterance": "점검 alpha 2h 디스크 교체", "user": {"id": "<botUserKey>",
"type": "botUserKey", "properties": {...}}, ...}, "intent", "bot", "action"}`` and shows the answer
``{"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "..."}}]}}`` if it comes
within 5 seconds. The user id is the botUserKey, stable per user and bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIMPLE_TEXT_LIMIT = 1000


class InvalidSkillRequest(ValueError):
    """The body is not an OpenBuilder skill request; the message says what is missing."""


@dataclass(frozen=True)
class SkillRequest:
    utterance: str
    user: str


def read_skill_request(body: Any) -> SkillRequest:
    """The utterance and the user id of a parsed JSON skill request."""
    request = body.get("userRequest") if isinstance(body, Mapping) else None
    if not isinstance(request, Mapping):
        raise InvalidSkillRequest("expected an OpenBuilder skill request with userRequest")
    user = request.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else None
    if not isinstance(user_id, str) or not user_id.strip():
        raise InvalidSkillRequest("userRequest.user.id is missing")
    utterance = request.get("utterance")
    if not isinstance(utterance, str):
        raise InvalidSkillRequest("userRequest.utterance is missing")
    return SkillRequest(utterance=utterance, user=user_id.strip())


def skill_answer(text: str) -> dict[str, Any]:
    """A ``simpleText`` answer (cut to OpenBuilder's 1000 characters)."""
    if len(text) > SIMPLE_TEXT_LIMIT:
        text = text[: SIMPLE_TEXT_LIMIT - 1] + "…"
    return {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": text}}]}}
