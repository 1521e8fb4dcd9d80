"""``receiver.bot`` in ``khp.yml``: the chat bot's endpoints, secrets, time budget and allow-lists.

::

    receiver:
      bot:
        callback_path: /kakaowork/callback      # KakaoWork bot "Callback URL" (buttons and modals)
        skill_path: /kakao/skill                # Kakao i OpenBuilder skill URL (typed commands)
        callback_token_env: KHP_KAKAOWORK_CALLBACK_TOKEN   # the shared secret of each endpoint: without
        skill_token_env: KHP_KAKAO_SKILL_TOKEN             # it, that endpoint refuses every request (403)
        language: ko                            # answers to buttons and modals (typed ones follow the command)
        timeout: 3s                             # one Alertmanager request
        budget: 4s                              # every Alertmanager request of one answer (Kakao waits 5 s)
        allow:                                  # who may act: "*" is every cluster
          "*": ["kakaowork:2874113", "kakaotalk:8a1f0c2d9e"]
          alpha: ["kakaowork:3300001"]
        viewers:                                # who may read `상태`/`status` besides them; "*" is everyone
          "*": ["*"]

Ids are ``kakaowork:<react_user_id>`` (KakaoWork's numeric user id) and
``kakaotalk:<userRequest.user.id>`` (OpenBuilder's botUserKey for this bot); the bot tells a
refused user their id. Secrets come from the environment; errors name ``receiver.bot.<key>``.

The bot fails closed: an endpoint whose secret is not configured, or whose environment variable
is empty, answers 403 to everything. ``secret_problems(settings)`` says which, and why; the
receiver logs it at start-up and ``khp check-config`` reports it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from khp.configuration import Config, ConfigSection

from .._i18n import LANGUAGES

PLATFORMS = ("kakaowork", "kakaotalk")
EVERYONE = "*"
KAKAO_LIMIT = 5.0
_KEYS = (
    "callback_path",
    "skill_path",
    "callback_token_env",
    "skill_token_env",
    "language",
    "timeout",
    "budget",
    "allow",
    "viewers",
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _frozen(mapping: Mapping[str, frozenset[str]] | None = None) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class BotSettings:
    """The chat bot's settings, read once from ``receiver.bot``; tokens are empty when not set."""

    callback_path: str = "/kakaowork/callback"
    skill_path: str = "/kakao/skill"
    callback_token: str = field(default="", repr=False)
    skill_token: str = field(default="", repr=False)
    callback_token_env: str = ""
    skill_token_env: str = ""
    language: str = "ko"
    timeout: float = 3.0
    budget: float = 4.0
    allow: Mapping[str, frozenset[str]] = field(default_factory=_frozen)
    viewers: Mapping[str, frozenset[str]] = field(default_factory=_frozen)


def bot_settings(config: Config, environ: Mapping[str, str] | None = None) -> BotSettings:
    """``receiver.bot`` of ``config`` as ``BotSettings``; ``ConfigError`` names the file and key."""
    environ = os.environ if environ is None else environ
    file = config.file or "the configuration"
    receiver = ConfigSection(file, "receiver", config.components.get("receiver"))
    section = receiver.section("bot")
    section.only(_KEYS)
    default = BotSettings()
    callback_path = _path(section, "callback_path", default.callback_path)
    skill_path = _path(section, "skill_path", default.skill_path)
    if callback_path == skill_path:
        raise section.error("skill_path", f"is the same path as callback_path ({callback_path}); give each its own")
    language = section.string("language", default.language)
    if language not in LANGUAGES:
        raise section.error("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
    timeout = section.duration("timeout", default.timeout)
    budget = section.duration("budget", default.budget)
    if budget >= KAKAO_LIMIT:
        raise section.error("budget", f"must be under {KAKAO_LIMIT:g}s: Kakao gives up on an answer after 5 seconds")
    if timeout > budget:
        raise section.error("timeout", f"is longer than budget ({budget:g}s); one request must fit in the budget")
    return BotSettings(
        callback_path=callback_path,
        skill_path=skill_path,
        callback_token=_token(section, "callback_token_env", environ),
        skill_token=_token(section, "skill_token_env", environ),
        callback_token_env=_variable(section, "callback_token_env"),
        skill_token_env=_variable(section, "skill_token_env"),
        language=language,
        timeout=timeout,
        budget=budget,
        allow=_people(section.section("allow"), anyone=False),
        viewers=_people(section.section("viewers"), anyone=True),
    )


def _path(section: ConfigSection, name: str, default: str) -> str:
    path = section.string(name, default)
    if not path.startswith("/") or any(ch.isspace() for ch in path):
        raise section.error(name, f"expected a URL path starting with '/', got {path!r}")
    return path


def secret_problems(settings: BotSettings, file: str = "khp.yml") -> list[str]:
    """Why each bot endpoint refuses every request (no secret), one sentence each; ``[]`` when both have one."""
    found = []
    for path, token, variable, key in (
        (settings.callback_path, settings.callback_token, settings.callback_token_env, "callback_token_env"),
        (settings.skill_path, settings.skill_token, settings.skill_token_env, "skill_token_env"),
    ):
        if token:
            continue
        why = f"environment variable {variable} is empty or not set" if variable else f"receiver.bot.{key} is not set"
        found.append(
            f"{file}: receiver.bot.{key}: {why}, so POST {path} refuses every request (403); "
            "put a long random shared secret in an environment variable and name it here"
        )
    return found


def _variable(section: ConfigSection, name: str) -> str:
    if not section.has(name):
        return ""
    variable = section.string(name)
    if not _ENV_NAME.match(variable):
        raise section.error(name, f"expected the name of an environment variable, got {variable!r}")
    return variable


def _token(section: ConfigSection, name: str, environ: Mapping[str, str]) -> str:
    """The secret in the environment variable ``name`` names; ``''`` (the endpoint refuses all) if there is none."""
    variable = _variable(section, name)
    return environ.get(variable, "").strip() if variable else ""


def _people(section: ConfigSection, *, anyone: bool) -> Mapping[str, frozenset[str]]:
    """``{cluster or "*": {ids}}``; ids are ``kakaowork:<number>`` or ``kakaotalk:<id>`` (or ``*``)."""
    found: dict[str, frozenset[str]] = {}
    for cluster in section.data:
        if not isinstance(cluster, str) or not cluster.strip():
            raise section.error(str(cluster), 'expected a cluster name or "*" (every cluster)')
        ids = section.strings(cluster)
        for index, person in enumerate(ids):
            _check_person(section, f"{cluster}[{index}]", person, anyone)
        found[cluster] = frozenset(ids)
    return _frozen(found)


def _check_person(section: ConfigSection, key: str, person: str, anyone: bool) -> None:
    if person == EVERYONE:
        if anyone:
            return
        raise section.error(key, 'everyone ("*") may not act; list the people by id, or use viewers to let all read')
    platform, _, user = person.partition(":")
    if platform not in PLATFORMS or not user.strip():
        raise section.error(
            key,
            f"expected 'kakaowork:<react_user_id>' or 'kakaotalk:<OpenBuilder user id>', got {person!r}"
            " (a refused user is told their id)",
        )
    if platform == "kakaowork" and not user.isdigit():
        raise section.error(key, f"KakaoWork user ids are numbers (react_user_id), got {person!r}")
