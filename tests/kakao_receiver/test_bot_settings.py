"""``receiver.bot`` settings, the allow-lists, the time budget and the public surface."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests

import kakao_receiver.bot
from kakao_receiver.bot import Actor, AllowList, BotSettings, bot_settings, secret_problems
from kakao_receiver.bot._budget import Budget
from khp.configuration import Config, ConfigError, load_config


def config_with(tmp_path: Path, bot: str) -> Config:
    (tmp_path / "khp.yml").write_text(
        "receiver:\n  bot:\n" + textwrap.indent(textwrap.dedent(bot), "    "), encoding="utf-8"
    )
    return load_config(tmp_path / "khp.yml")


def test_defaults_without_a_bot_section() -> None:
    settings = bot_settings(Config(file="khp.yml"), {})
    assert settings == BotSettings()
    assert (settings.callback_path, settings.skill_path, settings.timeout, settings.budget) == (
        "/kakaowork/callback",
        "/kakao/skill",
        3.0,
        4.0,
    )


def test_a_full_section_is_read(tmp_path: Path) -> None:
    config = config_with(
        tmp_path,
        """
        callback_path: /bot/kakaowork
        skill_path: /bot/kakaotalk
        callback_token_env: CALLBACK_TOKEN
        skill_token_env: SKILL_TOKEN
        language: en
        timeout: 2s
        budget: 4s
        allow: {"*": ["kakaowork:1001", "kakaotalk:abc"], alpha: ["kakaowork:2002"]}
        viewers: {"*": ["*"]}
        """,
    )
    settings = bot_settings(config, {"CALLBACK_TOKEN": "cb-secret", "SKILL_TOKEN": "skill-secret"})
    assert (settings.callback_path, settings.skill_path, settings.language) == (
        "/bot/kakaowork",
        "/bot/kakaotalk",
        "en",
    )
    assert (settings.callback_token, settings.skill_token, settings.timeout, settings.budget) == (
        "cb-secret",
        "skill-secret",
        2.0,
        4.0,
    )
    assert settings.allow == {"*": {"kakaowork:1001", "kakaotalk:abc"}, "alpha": {"kakaowork:2002"}}
    assert "cb-secret" not in repr(settings) and "skill-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("bot", "environ", "key", "problem"),
    [
        ("colour: blue\n", {}, "receiver.bot.colour", "unknown key; allowed keys here: callback_path"),
        ("skill_path: kakao\n", {}, "receiver.bot.skill_path", "expected a URL path starting with '/'"),
        ("skill_path: /kakaowork/callback\n", {}, "receiver.bot.skill_path", "is the same path as callback_path"),
        ("language: fr\n", {}, "receiver.bot.language", "expected one of ko, en"),
        ("budget: 5s\n", {}, "receiver.bot.budget", "must be under 5s"),
        ("timeout: 4s\nbudget: 2s\n", {}, "receiver.bot.timeout", "is longer than budget (2s)"),
        ("callback_token_env: 'a b'\n", {}, "receiver.bot.callback_token_env", "expected the name of an environment"),
        ("allow: [kakaowork:1]\n", {}, "receiver.bot.allow", "expected a mapping"),
        ("allow: {alpha: kakaowork:1}\n", {}, "receiver.bot.allow.alpha", "expected a list of strings"),
        ("allow: {alpha: [1001]}\n", {}, "receiver.bot.allow.alpha[0]", "expected a string, got int 1001"),
        ("allow: {alpha: ['1001']}\n", {}, "receiver.bot.allow.alpha[0]", "expected 'kakaowork:<react_user_id>'"),
        ("allow: {alpha: ['slack:U1']}\n", {}, "receiver.bot.allow.alpha[0]", "expected 'kakaowork:<react_user_id>'"),
        ("allow: {alpha: ['kakaowork:kim']}\n", {}, "receiver.bot.allow.alpha[0]", "KakaoWork user ids are numbers"),
        ("allow: {'*': ['*']}\n", {}, "receiver.bot.allow.*[0]", 'everyone ("*") may not act'),
    ],
)
def test_errors_name_the_file_and_the_dotted_key(
    tmp_path: Path, bot: str, environ: dict[str, str], key: str, problem: str
) -> None:
    config = config_with(tmp_path, bot)
    with pytest.raises(ConfigError) as caught:
        bot_settings(config, environ)
    assert caught.value.file == str(tmp_path / "khp.yml")
    assert caught.value.key == key
    assert caught.value.problem.startswith(problem)


def test_the_secret_itself_never_appears_in_an_error(tmp_path: Path) -> None:
    config = config_with(tmp_path, "skill_token_env: SKILL_TOKEN\ncallback_token_env: 'x y'\n")
    with pytest.raises(ConfigError) as caught:
        bot_settings(config, {"SKILL_TOKEN": "very-secret"})
    assert "very-secret" not in str(caught.value)


def test_an_endpoint_without_its_secret_is_reported_as_refusing_everything(tmp_path: Path) -> None:
    config = config_with(tmp_path, "skill_token_env: NOT_SET\n")
    settings = bot_settings(config, {})

    assert (settings.skill_token, settings.callback_token) == ("", "")
    problems = secret_problems(settings, "khp.yml")
    assert problems == [
        "khp.yml: receiver.bot.callback_token_env: receiver.bot.callback_token_env is not set, so POST "
        "/kakaowork/callback refuses every request (403); put a long random shared secret in an environment "
        "variable and name it here",
        "khp.yml: receiver.bot.skill_token_env: environment variable NOT_SET is empty or not set, so POST "
        "/kakao/skill refuses every request (403); put a long random shared secret in an environment variable "
        "and name it here",
    ]
    both = bot_settings(config_with(tmp_path, "skill_token_env: S\ncallback_token_env: C\n"), {"S": "s", "C": "c"})
    assert secret_problems(both) == []


def allow_list(**lists: Any) -> AllowList:
    return AllowList(
        {k: frozenset(v) for k, v in lists.get("allow", {}).items()},
        {k: frozenset(v) for k, v in lists.get("viewers", {}).items()},
    )


def test_acting_needs_the_id_under_star_or_the_cluster() -> None:
    lists = allow_list(allow={"*": ["kakaowork:1"], "alpha": ["kakaotalk:a"]})
    assert lists.may_act(Actor("kakaowork", "1"), "alpha") and lists.may_act(Actor("kakaowork", "1"), "beta")
    assert lists.may_act(Actor("kakaotalk", "a"), "alpha") and not lists.may_act(Actor("kakaotalk", "a"), "beta")
    assert not lists.may_act(Actor("kakaotalk", "1"), "alpha")  # the same id on the other platform is someone else


def test_viewing_is_open_to_actors_and_viewers() -> None:
    lists = allow_list(allow={"alpha": ["kakaotalk:a"]}, viewers={"beta": ["kakaotalk:v"]})
    assert lists.may_view(Actor("kakaotalk", "a"), "alpha") and not lists.may_view(Actor("kakaotalk", "a"), "beta")
    assert lists.may_view(Actor("kakaotalk", "v"), "beta") and not lists.may_act(Actor("kakaotalk", "v"), "beta")
    everyone = allow_list(viewers={"*": ["*"]})
    assert everyone.may_view(Actor("kakaowork", "9"), "gamma") and not everyone.may_act(
        Actor("kakaowork", "9"), "gamma"
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_cuts_requests_once_it_is_spent() -> None:
    clock = FakeClock()
    budget = Budget(4.0, clock)
    assert budget.left() is None
    with budget.running():
        clock.now += 1.5
        assert budget.left() == 2.5
        clock.now += 3.0
        with pytest.raises(requests.Timeout, match="budget for this answer is spent"):
            budget.session().get("http://127.0.0.1:9/never-sent", timeout=3)
    assert budget.left() is None


def test_the_public_surface() -> None:
    assert sorted(kakao_receiver.bot.__all__) == [
        "Actor",
        "AllowList",
        "Bot",
        "BotSettings",
        "Callback",
        "ChannelReply",
        "Command",
        "EndMaintenance",
        "Help",
        "InvalidCallback",
        "InvalidSkillRequest",
        "Mute",
        "ParseError",
        "Record",
        "Recorder",
        "Reply",
        "StartMaintenance",
        "Status",
        "TOKEN_HEADER",
        "TOKEN_PARAMETER",
        "Unmute",
        "bot_blueprint",
        "bot_settings",
        "button_command",
        "modal_view",
        "parse_chat_duration",
        "parse_command",
        "read_callback",
        "read_skill_request",
        "secret_problems",
        "skill_answer",
        "submission_command",
    ]
