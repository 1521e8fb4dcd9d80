"""Fixtures of the console's tests: a real Alertmanager (one per module), a project, the app, a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from khp.configuration import Config, load_config
from khp.console import create_app
from tests.realparts.alertmanager import AlertmanagerServer, running_alertmanager, webhook_config

from .helpers import ENVIRON, PASSWORD, USER, csrf_of, default_problems, put_problems, write_project


@pytest.fixture(scope="module")
def am_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    config = webhook_config("http://127.0.0.1:9/unused")
    with running_alertmanager(tmp_path_factory.mktemp("am"), config) as server:
        yield server


@pytest.fixture
def am(am_server: AlertmanagerServer) -> Iterator[AlertmanagerServer]:
    """The module's Alertmanager; each test leaves it without live silences."""
    yield am_server
    if not am_server.running:
        am_server.start()
    for silence in am_server.silences():
        if silence["status"]["state"] != "expired":
            am_server.request("DELETE", f"/api/v2/silence/{silence['id']}")


@pytest.fixture
def project(tmp_path: Path, am: AlertmanagerServer) -> Path:
    path = write_project(tmp_path / "project", am.url)
    put_problems(path.parent / "var" / "khp.db", default_problems())
    return path


@pytest.fixture
def config(project: Path) -> Config:
    return load_config(project)


@pytest.fixture
def app(config: Config) -> Flask:
    return create_app(config, environ=ENVIRON)


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client logged in as kim."""
    client = app.test_client()
    login(client)
    return client


def login(client: FlaskClient, user: str = USER, password: str = PASSWORD) -> int:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user, "password": password, "csrf_token": token, "next": "/"})
    return response.status_code


def post(client: FlaskClient, path: str, data: dict[str, str], page: str = "/clusters/alpha") -> object:
    """POST ``data`` with the CSRF token of ``page``."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})
