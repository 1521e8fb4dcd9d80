"""A cluster's rooms and pending time edited in the console: written to its cluster file, the
Alertmanager configuration rendered again, checked by amtool and reloaded on two real Alertmanagers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from khp.configuration import load_config
from khp.console import create_app
from khp.history import open_history
from khp.routing import render_alertmanager_yaml
from tests.realparts.alertmanager import AlertmanagerServer, webhook_config

from .conftest import login, post
from .helpers import ENVIRON, HASH, USER, default_problems, put_problems, write_project


@dataclass
class Setup:
    project: Path
    first: AlertmanagerServer
    second: AlertmanagerServer
    client: FlaskClient

    @property
    def rendered(self) -> Path:
        return self.first.config_path


def running_config(server: AlertmanagerServer) -> str:
    status, answer = server.request("GET", "/api/v2/status")
    assert status == 200, answer
    return str(answer["config"]["original"])


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """Two Alertmanagers reading one alertmanager.yml (the second through a link), and the console."""
    first = AlertmanagerServer(tmp_path / "am1", webhook_config("http://127.0.0.1:9/unused"))
    second = AlertmanagerServer(tmp_path / "am2", webhook_config("http://127.0.0.1:9/unused"))
    with first:
        second.directory.mkdir(parents=True)
        second.config_path.symlink_to(first.config_path)
        with second:
            console = {"users": {USER: {"password_hash": HASH}}, "alertmanager_config": str(first.config_path)}
            path = write_project(tmp_path / "project", first.url, console)
            settings = yaml.safe_load(path.read_text())
            settings["alertmanager"]["urls"] = [first.url, second.url]
            path.write_text(yaml.safe_dump(settings, sort_keys=False))
            put_problems(path.parent / "var" / "khp.db", default_problems())
            config = load_config(path)
            first.config_path.write_text(render_alertmanager_yaml(config))  # what the deployment started with
            for server in (first, second):
                assert server.request("POST", "/-/reload")[0] == 200
            client = create_app(config, environ=ENVIRON).test_client()
            login(client)
            yield Setup(path, first, second, client)


def flashes(client: FlaskClient, page: str) -> str:
    return client.get(page).get_data(as_text=True)


def test_rooms_are_written_rendered_checked_and_reloaded_on_every_alertmanager(setup: Setup) -> None:
    assert "khp-gamma-warning" not in running_config(setup.first)
    answer: Any = post(
        setup.client,
        "/clusters/gamma/rooms",
        {"warning": "kakaowork:555, kakaotalk:night", "critical": ""},
        page="/clusters/gamma",
    )
    assert answer.status_code == 303
    page = flashes(setup.client, "/clusters/gamma")
    assert "Saved rooms of gamma: the defaults -&gt; warning kakaowork:555, kakaotalk:night." in page
    assert "checked by amtool" in page or "not checked (amtool is not installed)" in page
    assert f"reloaded on {setup.first.url}, {setup.second.url}" in page
    text = (setup.project.parent / "clusters" / "gamma.yml").read_text()
    assert text.startswith("# gamma: defaults only\n")  # the comment survives
    assert yaml.safe_load(text)["channels"] == {"warning": ["kakaowork:555", "kakaotalk:night"]}
    for server in (setup.first, setup.second):
        running = yaml.safe_load(running_config(server))
        routes = {route["receiver"] for route in running["route"]["routes"]}
        assert "khp-gamma-default" in routes, routes
        assert {r["name"] for r in running["receivers"]} >= {"khp-gamma-warning"}
    assert setup.rendered.read_text() == render_alertmanager_yaml(load_config(setup.project))
    with open_history(load_config(setup.project)) as history:
        (action,) = history.events(0, time.time() + 1, "gamma", kinds=["action"])
    assert action.actor == USER and "reloaded on 2 of 2 Alertmanagers" in action.detail


def test_an_alertmanager_that_is_down_is_named_and_the_others_still_reload(setup: Setup) -> None:
    setup.second.stop()
    answer: Any = post(setup.client, "/clusters/beta/rooms", {"critical": "kakaowork:999"}, page="/clusters/beta")
    assert answer.status_code == 303
    page = flashes(setup.client, "/clusters/beta")
    assert f"reloaded on {setup.first.url}" in page
    assert f"Not reloaded on {setup.second.url}: cannot connect" in page and 'class="flash error"' in page
    assert "khp-beta-critical" in running_config(setup.first)
    assert yaml.safe_load((setup.project.parent / "clusters" / "beta.yml").read_text())["channels"] == {
        "critical": ["kakaowork:999"]
    }


def test_bad_rooms_are_refused_and_nothing_changes(setup: Setup) -> None:
    before = (setup.project.parent / "clusters" / "gamma.yml").read_text()
    rendered = setup.rendered.read_text()
    answer: Any = post(setup.client, "/clusters/gamma/rooms", {"warning": "kakaowork 555"}, page="/clusters/gamma")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "warning rooms: &#39;kakaowork&#39;, &#39;555&#39; is not &#39;channel:target&#39;" in page
    assert (setup.project.parent / "clusters" / "gamma.yml").read_text() == before
    assert setup.rendered.read_text() == rendered
    refused: Any = post(setup.client, "/clusters/delta/rooms", {"warning": "kakaowork:1"}, page="/clusters/delta")
    assert refused.status_code == 422 and "delta has no cluster file" in refused.get_data(as_text=True)


def test_the_pending_time_is_written_and_taken_by_the_configuration(setup: Setup) -> None:
    answer: Any = post(setup.client, "/clusters/beta/pending", {"pending": "7m"}, page="/clusters/beta")
    assert answer.status_code == 303
    page = flashes(setup.client, "/clusters/beta")
    assert "Saved pending time of beta: 3m -&gt; 7m." in page and 'id="pending-now">7m<' in page
    text = (setup.project.parent / "clusters" / "beta.yml").read_text()
    assert "pending: 7m\n" in text and text.startswith("# beta: HBase serving cluster.\n")
    assert load_config(setup.project).clusters["beta"].pending == 420.0
    back: Any = post(setup.client, "/clusters/beta/pending", {"pending": ""}, page="/clusters/beta")
    assert back.status_code == 303 and load_config(setup.project).clusters["beta"].pending is None
    for bad, message in (("soon", "pending time:"), ("3d", "choose between 0s and 1d")):
        refused: Any = post(setup.client, "/clusters/beta/pending", {"pending": bad}, page="/clusters/beta")
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)


def test_without_the_alertmanager_config_path_rooms_are_not_edited_here(tmp_path: Path) -> None:
    path = write_project(tmp_path / "project", "http://127.0.0.1:9")
    client = create_app(load_config(path), environ=ENVIRON).test_client()
    login(client)
    page = client.get("/clusters/gamma").get_data(as_text=True)
    assert 'id="rooms-form"' not in page and "console.alertmanager_config" in page
    refused: Any = post(client, "/clusters/gamma/rooms", {"warning": "kakaowork:1"}, page="/clusters/gamma")
    assert refused.status_code == 422
    assert "an administrator sets console.alertmanager_config" in refused.get_data(as_text=True)
