"""Several Alertmanagers: write to the first that answers, read from any, gossip does the rest."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest

from khp.silences import AlertmanagerUnavailable, SilenceService
from tests.realparts.alertmanager import (
    AlertmanagerServer,
    WebhookRecorder,
    require_alertmanager,
    running_pair,
    webhook_config,
)
from tests.realparts.prometheus import free_port

from .helpers import project_config, wait_for

TASK = "Task slot usage"


def ids(server: AlertmanagerServer) -> set[str]:
    return {s["id"] for s in server.silences() if s["status"]["state"] != "expired"}


@pytest.fixture
def broken() -> Iterator[str]:
    """A loopback server that answers every request 503, as an Alertmanager in trouble might."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _fail(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"overloaded"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _fail

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ha_pair_created_on_one_visible_on_the_other_and_the_second_takes_over(tmp_path: Path) -> None:
    require_alertmanager()
    with WebhookRecorder() as hook, running_pair(tmp_path / "am", webhook_config(hook.url)) as (first, second):
        config = project_config(tmp_path / "project", [first.url, second.url])
        service = SilenceService(config)
        window = service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
        assert window.id in ids(first)  # written to the first that answers...
        wait_for(lambda: window.id in ids(second), "the silence gossiped to the second")  # ...gossip copies it
        assert len(ids(second)) == 1

        first.kill()
        mute = service.mute(TASK, "beta", "cri", duration="1h", created_by="kim")
        assert mute.id in ids(second)
        assert {s.id for s in service.list_silences()} == {window.id, mute.id}  # read from the one that answers
        assert service.extend(window.id, duration="1h").id == window.id
        assert [s.id for s in service.end_maintenance("alpha")] == [window.id]
        assert ids(second) == {mute.id}


def test_first_down_creates_on_the_second(tmp_path: Path, am: AlertmanagerServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    service = SilenceService(project_config(tmp_path / "project", [dead, am.url]))
    window = service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
    assert ids(am) == {window.id}
    assert [s.id for s in service.list_silences()] == [window.id]
    assert service.end(window.id) is not None


def test_an_alertmanager_answering_5xx_is_skipped(tmp_path: Path, am: AlertmanagerServer, broken: str) -> None:
    service = SilenceService(project_config(tmp_path / "project", [broken, am.url]))
    mute = service.mute(TASK, "alpha", "off", duration="1h", created_by="kim")
    assert ids(am) == {mute.id}
    assert [s.id for s in service.list_silences()] == [mute.id]


def test_when_none_answers_each_is_named_with_what_to_do(tmp_path: Path, broken: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    service = SilenceService(project_config(tmp_path / "project", [dead, broken]))
    with pytest.raises(AlertmanagerUnavailable) as error:
        service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
    assert str(error.value) == (
        f"no Alertmanager answered: {dead} (cannot connect); {broken} (HTTP 503: overloaded); start one, or correct"
        " alertmanager.urls in the configuration"
    )
    with pytest.raises(AlertmanagerUnavailable, match="no Alertmanager answered"):
        service.list_silences()
    with pytest.raises(AlertmanagerUnavailable):
        service.end("00000000-0000-4000-8000-000000000000")
