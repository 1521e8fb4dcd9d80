"""Shared parts of the chat bot's tests (no tests here): a project, a real Alertmanager, the bot app.

``bot_world(directory, am_url)`` writes a project (clusters alpha and beta, a Kudu monitor with
"Too many tablets" and "Failed tablets", maintenance <= 2d, mutes <= 1d, allow-lists below) and
puts the bot's blueprint in a minimal Flask app; ``World`` has helpers that speak OpenBuilder and
KakaoWork and read the answers in their exact shapes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kakao_receiver.bot import bot_blueprint
from khp.configuration import Config, load_config
from khp.history import HistoryEvent
from tests.realparts.alertmanager import AlertmanagerServer

MONITOR = '''
from evaluator import Monitor


class KuduMonitor(Monitor):
    """Kudu tablet servers."""

    def run(self):
        running = self.all("kudu/tserver/server.tablets_num_running")
        self.emit("Too many tablets",
                  warning=running > self.w("kudu_tablets_num_running"),
                  critical=running > self.c("kudu_tablets_num_running"))
        failed = self.all("kudu/tserver/server.tablets_num_failed")
        self.emit("Failed tablets", warning=failed > self.w("kudu_tablets_num_failed"))
'''

OPS = "kakaotalk:ops-kim"  # may act on every cluster
ALPHA_ONLY = "kakaotalk:alpha-lee"  # may act on alpha only
BETA_VIEWER = "kakaotalk:viewer-park"  # may read beta's status
STRANGER = "kakaotalk:stranger"
WORK_OPS = "1001"  # KakaoWork react_user_id allowed everywhere
WORK_STRANGER = "4242"
CONVERSATION = "7001"

SKILL_SECRET = "skill-secret-for-tests"
CALLBACK_SECRET = "callback-secret-for-tests"
SECRETS = {"KHP_TEST_SKILL_TOKEN": SKILL_SECRET, "KHP_TEST_CALLBACK_TOKEN": CALLBACK_SECRET}
BOT = {
    "skill_token_env": "KHP_TEST_SKILL_TOKEN",
    "callback_token_env": "KHP_TEST_CALLBACK_TOKEN",
    "timeout": "2s",
    "budget": "3s",
    "allow": {"*": [OPS, f"kakaowork:{WORK_OPS}"], "alpha": [ALPHA_ONLY]},
    "viewers": {"beta": [BETA_VIEWER]},
}


def write_project(directory: Path, am_url: str, bot: Mapping[str, Any] | None = None) -> Path:
    """khp.yml with the bot section ``bot`` (default ``BOT``), clusters alpha and beta."""
    (directory / "clusters").mkdir(parents=True, exist_ok=True)
    (directory / "monitors").mkdir(exist_ok=True)
    (directory / "clusters" / "alpha.yml").write_text("pending: 1m\n")
    (directory / "clusters" / "beta.yml").write_text("pending: 1m\n")
    (directory / "monitors" / "kudu.py").write_text(MONITOR)
    (directory / "khp.yml").write_text(
        textwrap.dedent(
            f"""
            store: var/khp.db
            monitors: [monitors]
            alertmanager: {{urls: {json.dumps([am_url])}, timeout: 2s}}
            silences: {{max_maintenance: 2d, max_mute: 1d}}
            thresholds:
              kudu_tablets_num_running: {{warning: 2000, critical: 3000}}
              kudu_tablets_num_failed: {{warning: 0, critical: 10}}
            clusters_dir: clusters
            receiver:
              bot: {json.dumps(dict(BOT if bot is None else bot), ensure_ascii=False)}
            """
        ),
        encoding="utf-8",
    )
    return directory / "khp.yml"


@dataclass
class World:
    """The bot in a Flask test client, what it recorded and replied, and the fixed clock."""

    config: Config
    client: FlaskClient
    now: float
    events: list[HistoryEvent] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)

    def skill(self, utterance: str, user: str = OPS, **options: Any) -> Any:
        """POST an OpenBuilder skill request; the response."""
        body = {
            "intent": {"id": "fallback", "name": "폴백 블록"},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "utterance": utterance,
                "lang": "ko",
                "user": {"id": user.removeprefix("kakaotalk:"), "type": "botUserKey", "properties": {}},
            },
            "bot": {"id": "khp-bot", "name": "KHP"},
            "action": {"name": "khp", "params": {}, "detailParams": {}, "clientExtra": {}},
        }
        if "headers" not in options and "query_string" not in options:
            options["headers"] = {"X-KHP-Bot-Token": SKILL_SECRET}
        return self.client.post("/kakao/skill", json=body, **options)

    def say(self, utterance: str, user: str = OPS) -> str:
        """The text of the bot's answer, checked to be exactly OpenBuilder's simpleText shape."""
        return simple_text(self.skill(utterance, user))

    def callback(self, body: Mapping[str, Any], **options: Any) -> Any:
        if "headers" not in options and "query_string" not in options:
            options["query_string"] = {"token": CALLBACK_SECRET}
        return self.client.post("/kakaowork/callback", json=dict(body), **options)


def simple_text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert set(answer) == {"version", "template"} and answer["version"] == "2.0"
    (output,) = answer["template"]["outputs"]
    assert set(output) == {"simpleText"} and set(output["simpleText"]) == {"text"}
    text = output["simpleText"]["text"]
    assert isinstance(text, str) and 0 < len(text) <= 1000
    return text


def kakaowork(kind: str, user: str = WORK_OPS, **fields: Any) -> dict[str, Any]:
    """A KakaoWork reactive callback body of ``kind`` from ``user`` in ``CONVERSATION``."""
    return {
        "type": kind,
        "action_time": "2026-11-29T06:30:00.000Z",
        "message": {
            "id": "m1",
            "text": "[심각] alpha: Too many tablets",
            "user_id": "9",
            "conversation_id": CONVERSATION,
        },
        "react_user_id": int(user),
        **fields,
    }


@contextlib.contextmanager
def bot_world(
    directory: Path,
    am_url: str,
    bot: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[World]:
    config = load_config(write_project(directory, am_url, bot))
    now = time.time()
    events: list[HistoryEvent] = []
    replies: list[tuple[str, str]] = []
    app = Flask("bot-test")
    app.register_blueprint(
        bot_blueprint(
            config,
            history=events,
            clock=lambda: now,
            reply=lambda conversation, text: replies.append((conversation, text)),
            environ=SECRETS if environ is None else environ,
        )
    )
    yield World(config, app.test_client(), now, events, replies)


def live(am: AlertmanagerServer) -> list[dict[str, Any]]:
    """The active silences in Alertmanager."""
    return [s for s in am.silences() if s["status"]["state"] == "active"]


def matchers(silence: Mapping[str, Any]) -> dict[str, str]:
    """``{name: value}`` of a silence whose matchers are all exact equalities."""
    assert all(m["isEqual"] and not m["isRegex"] for m in silence["matchers"])
    return {m["name"]: m["value"] for m in silence["matchers"]}


def epoch(text: str) -> float:
    """Epoch seconds of an Alertmanager timestamp (``...T06:20:25.123Z``)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def expire_all(am: AlertmanagerServer) -> None:
    for silence in live(am) + [s for s in am.silences() if s["status"]["state"] == "pending"]:
        am.request("DELETE", f"/api/v2/silence/{silence['id']}")


class HangingServer:
    """A loopback HTTP server that takes requests and never answers (until it is closed)."""

    def __init__(self) -> None:
        released = threading.Event()
        self._released = released

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                released.wait(30)

            do_POST = do_GET
            do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
