"""The console: section, read into frozen settings; errors name the file and the dotted key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from khp.configuration import ConfigError, load_config
from khp.console import ConsoleSettings, console_settings, create_app, secret_key

from .helpers import ENVIRON, HASH, write_project


def settings_of(tmp_path: Path, console: Any) -> ConsoleSettings:
    return console_settings(load_config(write_project(tmp_path / "p", "http://127.0.0.1:9", console)))


def test_full_section(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path,
        {
            "listen": "0.0.0.0:9000",
            "workers": 4,
            "users": {"kim": {"password_hash": HASH}},
            "trusted_header": "X-Forwarded-User",
            "trusted_proxies": ["10.0.0.7", "192.168.0.0/24"],
            "secret_key_env": "MY_SECRET",
            "secure_cookie": True,
            "session_lifetime": "1h",
        },
    )
    assert settings.listen == "0.0.0.0:9000" and settings.workers == 4 and dict(settings.users) == {"kim": HASH}
    assert settings.trusted_header == "X-Forwarded-User" and settings.secret_key_env == "MY_SECRET"
    assert settings.secure_cookie is True and settings.session_lifetime == 3600
    assert settings.trusted_proxies == ("10.0.0.7", "192.168.0.0/24")


def test_defaults(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, {"trusted_header": "X-User"})
    assert (settings.listen, settings.workers, settings.secret_key_env) == ("127.0.0.1:8081", 2, "KHP_CONSOLE_SECRET")
    with pytest.raises(AttributeError):
        settings.listen = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("console", "key", "problem"),
    [
        ({}, "console.users", "no user can log in"),
        ({"users": {"kim": {"password_hash": "secret"}}}, "console.users.kim.password_hash", "generate_password_hash"),
        ({"users": {"kim": {"password": "x"}}}, "console.users.kim.password", "unknown key"),
        ({"users": {"k i m": {"password_hash": HASH}}}, "console.users.k i m", "a user name is"),
        ({"trusted_header": "X User"}, "console.trusted_header", "not an HTTP header name"),
        ({"trusted_header": "X", "listen": "8081"}, "console.listen", "host:port"),
        ({"trusted_header": "X", "workers": 0}, "console.workers", "whole number"),
        ({"trusted_header": "X", "secret_key_env": "1BAD"}, "console.secret_key_env", "not an environment variable"),
        ({"trusted_header": "X", "colour": "blue"}, "console.colour", "unknown key"),
        ({"trusted_header": "X", "secure_cookie": "yes"}, "console.secure_cookie", "true or false"),
        ({"trusted_header": "X", "listen": "0.0.0.0:8081"}, "console.trusted_header", "refused: the console listens"),
        ({"trusted_header": "X", "trusted_proxies": ["proxy"]}, "console.trusted_proxies[0]", "not an IP address"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, console: Any, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, console)
    assert caught.value.key == key and problem in caught.value.problem
    assert caught.value.file.endswith("khp.yml")


def test_secret_key_comes_from_the_environment(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, {"trusted_header": "X"})
    assert secret_key(settings, ENVIRON) == ENVIRON["KHP_CONSOLE_SECRET"]
    for environ, problem in (({}, "is not set"), ({"KHP_CONSOLE_SECRET": "short"}, "shorter than 16")):
        with pytest.raises(ConfigError, match=problem) as caught:
            secret_key(settings, environ)
        assert caught.value.key == "console.secret_key_env"


def test_create_app_refuses_without_secret(tmp_path: Path) -> None:
    config = load_config(write_project(tmp_path / "p", "http://127.0.0.1:9"))
    with pytest.raises(ConfigError, match="KHP_CONSOLE_SECRET is not set"):
        create_app(config, environ={})


def test_create_app_from_khp_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_project(tmp_path / "p", "http://127.0.0.1:9")
    app = create_app(environ={**ENVIRON, "KHP_CONFIG": str(path)})
    assert app.test_client().get("/healthz").get_json()["clusters"] == 3


def test_the_trusted_header_is_believed_on_loopback_or_from_a_listed_proxy_only(tmp_path: Path) -> None:
    from khp.console._settings import trusted_header_problem

    assert trusted_header_problem("X-User", (), "127.0.0.1:8081") == ""
    assert trusted_header_problem("X-User", (), "[::1]:8081") == ""
    assert trusted_header_problem("X-User", ("10.0.0.7",), "0.0.0.0:8081") == ""
    assert trusted_header_problem(None, (), "0.0.0.0:8081") == ""
    assert "anyone could send X-User" in trusted_header_problem("X-User", (), "0.0.0.0:8081")
