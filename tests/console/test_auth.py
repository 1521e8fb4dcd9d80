"""Log-in with hashed passwords, the trusted proxy header, CSRF on every POST."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from khp.configuration import load_config
from khp.console import create_app
from tests.realparts.alertmanager import AlertmanagerServer

from .conftest import login
from .helpers import ENVIRON, HASH, PASSWORD, USER, csrf_of, write_project

FORMS = (
    ("/clusters/alpha/mute", {"check": "Task slot usage", "level": "cri", "duration": "1h"}),
    ("/clusters/alpha/unmute", {"check": "Task slot usage"}),
    ("/clusters/alpha/thresholds/druid_slot_used_percent", {"warning": "60"}),
    ("/clusters/alpha/maintenance", {"duration": "1h", "reason": "upgrade"}),
    ("/clusters/alpha/maintenance/end", {}),
    ("/logout", {}),
)


def test_login_with_the_right_password(anonymous: FlaskClient) -> None:
    token = csrf_of(anonymous.get("/login").get_data(as_text=True))
    data = {"username": USER, "password": PASSWORD, "csrf_token": token, "next": "/clusters/beta"}
    response = anonymous.post("/login", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/clusters/beta"
    assert anonymous.get("/").status_code == 200


@pytest.mark.parametrize(("user", "password"), [(USER, "wrong"), ("nobody", PASSWORD), ("", "")])
def test_login_failure_is_401_and_logged(
    anonymous: FlaskClient, caplog: pytest.LogCaptureFixture, user: str, password: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="console"):
        status = login(anonymous, user, password)
    assert status == 401
    assert any("failed log-in" in record.getMessage() for record in caplog.records)
    assert anonymous.get("/").status_code == 303


def test_thirty_wrong_passwords_are_not_thirty_tries(anonymous: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="console"):
        statuses = [login(anonymous, USER, f"guess-{n}") for n in range(30)]
        right = login(anonymous, USER, PASSWORD)  # even the right one waits now

    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert right == 429 and anonymous.get("/").status_code == 303
    assert any("too many failures" in record.getMessage() for record in caplog.records)


def test_login_refuses_an_open_redirect(anonymous: FlaskClient) -> None:
    token = csrf_of(anonymous.get("/login").get_data(as_text=True))
    data = {"username": USER, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    assert anonymous.post("/login", data=data).headers["Location"] == "/"


def test_login_without_csrf_is_400(anonymous: FlaskClient) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": USER, "password": PASSWORD})
    assert response.status_code == 400
    assert anonymous.get("/").status_code == 303


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_every_form_without_its_token_is_400_and_logged(
    client: FlaskClient, am: AlertmanagerServer, caplog: pytest.LogCaptureFixture, path: str, data: dict[str, str]
) -> None:
    for token in (None, "forged"):
        sent = dict(data) if token is None else {**data, "csrf_token": token}
        with caplog.at_level(logging.WARNING, logger="console"):
            response = client.post(path, data=sent)
        assert response.status_code == 400
        assert "did not come from this console" in response.get_data(as_text=True)
    messages = [r.getMessage() for r in caplog.records if "CSRF" in r.getMessage()]
    assert len(messages) == 2 and path in messages[0] and "missing" in messages[0] and "wrong" in messages[1]
    assert am.silences() == []
    assert client.get("/").status_code == 200  # still logged in: nothing was done


def test_a_token_from_another_session_is_refused(app: object, client: FlaskClient) -> None:
    other = client.application.test_client()
    login(other)
    token = csrf_of(other.get("/clusters/alpha").get_data(as_text=True))
    response = client.post("/clusters/alpha/maintenance", data={"duration": "1h", "reason": "x", "csrf_token": token})
    assert response.status_code == 400


def test_logout(client: FlaskClient) -> None:
    token = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303


def test_trusted_header_names_the_user(tmp_path: Path, am: AlertmanagerServer) -> None:
    path = write_project(tmp_path / "p", am.url, {"trusted_header": "X-Forwarded-User"})
    client = create_app(load_config(path), environ=ENVIRON).test_client()
    assert client.get("/").status_code == 303
    html = client.get("/", headers={"X-Forwarded-User": "park"}).get_data(as_text=True)
    assert '<span class="who">park</span>' in html
    token = csrf_of(html)
    response = client.post(
        "/clusters/alpha/maintenance",
        data={"duration": "1h", "reason": "proxy user", "csrf_token": token},
        headers={"X-Forwarded-User": "park"},
    )
    assert response.status_code == 303
    (silence,) = [s for s in am.silences() if s["status"]["state"] == "active"]
    assert silence["createdBy"] == "park"
    assert login(client, USER, PASSWORD) == 401  # no password users configured


def test_trusted_header_and_passwords_together(tmp_path: Path, am: AlertmanagerServer) -> None:
    console = {"trusted_header": "X-Forwarded-User", "users": {USER: {"password_hash": HASH}}}
    client = create_app(load_config(write_project(tmp_path / "p", am.url, console)), environ=ENVIRON).test_client()
    assert login(client) == 303
    assert '<span class="who">kim</span>' in client.get("/").get_data(as_text=True)
    assert '<span class="who">lee</span>' in client.get("/", headers={"X-Forwarded-User": "lee"}).get_data(as_text=True)


def test_session_cookie_is_httponly_and_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in client.get("/").headers["Content-Security-Policy"]
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    anonymous = client.application.test_client()
    cookie = anonymous.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.status_code == 303  # already logged in: sent on
