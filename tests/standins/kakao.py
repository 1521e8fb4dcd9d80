"""Kakao's chat APIs on loopback, checking every request against reference/wire-formats.md §6-§7.

One ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) stands in for KakaoWork's bot API, KakaoTalk's
memo API and Kakao's OAuth token endpoint, plus Slack incoming webhooks and a generic JSON webhook::

    with KakaoStandIn() as kakao:
        channel = KakaoWorkChannel({"base_url": kakao.url}, kakao.environ)
        channel.send("12345", channel.render(content))
        kakao.messages[-1]        # the accepted body: {"conversation_id", "text", "blocks"}
        kakao.rejections          # why each refused request was refused ([] when all were fine)

Paths, all under ``kakao.url``:

=================================== ======================================================
``POST /v1/messages.send``          KakaoWork: JSON ``{conversation_id, text, blocks}``
``POST /v1/conversations.open``     KakaoWork: ``{user_id}`` or ``{user_ids, conversation_name}``
``POST /v2/api/talk/memo/default/send`` KakaoTalk: form ``template_object=<JSON text template>``
``POST /oauth/token``               Kakao OAuth: form ``grant_type=refresh_token, client_id, refresh_token``
``POST /slack/<name>``              a Slack incoming webhook (``kakao.slack_url(name)``)
``POST /hook/<name>``               a JSON webhook (``kakao.webhook_url(name)``), answers ``{"ok": true}``
=================================== ======================================================

What is checked (a failed check is answered as the service answers it, and noted in ``rejections``).
Lengths are counted as the APIs count characters, in UTF-16 code units: a Hangul syllable is one,
an emoji outside the Basic Multilingual Plane two. Every URL must be an absolute http(s) URL with
a host (``evaluator/monitors/zookeeper.py#L17`` is refused):

* KakaoWork: ``Authorization: Bearer <app_key>`` (else 401 ``invalid_authentication``);
  ``Content-Type: application/json`` (the Messages API takes nothing else; else ``invalid_parameter``);
  a known ``conversation_id`` (else ``conversation_not_found``); ``text`` a non-empty string
  (else ``invalid_parameter``) of at most ``text_limit`` characters (else ``text_too_long``);
  at most ``max_blocks`` blocks, each a known type with every Block Kit limit (else
  ``invalid_blocks``): header text ≤20 and style blue|red|yellow; text ≤500 with optional
  ``markdown`` (bool) and ``inlines``; button text ≤20, style default|primary|danger, action_type
  submit_action|call_modal|open_inapp_browser|open_system_browser|open_external_app, with
  ``action_name`` and ``value`` for submit_action and a ``value`` (an http(s) URL for the browser
  ones) for the others; description term ≤10 with a text block ``content`` and boolean ``accent``;
  action of 1-3 buttons; context ``{content: text, image: image_link}``; section
  ``{content: text, accessory: image_link}``; image_link ``{url}``; divider.
  Errors are ``{"success": false, "error": {"code", "message"}}``; the HTTP statuses are not
  documented, so they are 401 (authentication), 429 (rate limit) and 400 (the rest), or all 200
  with ``errors_with_status_200 = True``.
* KakaoTalk: ``Authorization: Bearer <access token>`` that the stand-in issued and did not expire
  (else 401 ``{"msg", "code": -401}``); a form body (else 400 ``code -2``) whose ``template_object``
  is JSON with ``object_type: "text"``, ``text`` of 1-200 characters, a ``link`` object, an optional
  ``button_title`` and at most 2 ``buttons``. Success is ``{"result_code": 0}``.
* OAuth: a form with ``grant_type=refresh_token``, the ``client_id`` (and ``client_secret`` when one
  is set) and the current refresh token; errors ``{"error", "error_description", "error_code"}``
  (400 ``invalid_grant`` KOE322, 401 ``invalid_client`` KOE101, 400 ``unsupported_grant_type``).
  Success ``{"token_type": "bearer", "access_token", "expires_in"}``, plus ``refresh_token`` and
  ``refresh_token_expires_in`` when ``rotate_refresh_token`` is on.
* Slack: a JSON body with ``text`` or ``blocks`` (≤50 blocks, header ≤150, section text ≤3000,
  ≤25 buttons of ≤75 characters with an http(s) ``url``); a known hook name (else 404
  ``no_service``); bad payloads 400 ``invalid_blocks``/``no_text``; success 200 ``ok`` as text.

Switches (``api`` is ``"kakaowork"``, ``"kakaotalk"``, ``"oauth"``, ``"slack"`` or ``"webhook"``):

* ``rate_limit(api, retry_after=30, times=1)``: 429 with ``Retry-After`` and the service's body
  (KakaoWork ``too_many_requests``; KakaoTalk answers quota errors 400 ``code -10`` without a header).
* ``fail_next(api, status=500, times=1)``: a server error.
* ``outage(api, status=500)`` / ``recover(api)``: every request to ``api`` gets that error until recovered.
* ``error_next(api, code, times=1)``: that error: a KakaoWork code (``"conversation_not_found"``),
  a KakaoTalk code (``-402``) or an OAuth error (``"invalid_grant"``).
* ``hang(api)`` / ``release()``: requests to ``api`` get no answer until ``release()`` or ``stop()``.
* ``expire_access_token()``: KakaoTalk's current access token answers 401 from now on.
* ``revoke_refresh_token()``: the refresh token is refused (``invalid_grant``).
* ``rotate_refresh_token = True``: each refresh also issues a new refresh token.

Checkers, for tests of rendering alone: ``block_kit_problem(blocks)``,
``text_template_problem(template)``, ``slack_blocks_problem(blocks)`` (``None`` when all is well).

Records: ``requests`` (every request: ``api, method, path, headers, body, status, answer``, with
``.json`` and ``.form``), ``messages`` (KakaoWork bodies accepted), ``memos`` (``{"token",
"template"}`` accepted), ``refreshes`` (tokens issued), ``slack_posts`` and ``hook_posts``
(``(name, body)``), ``rejections`` (``(api, reason)``). ``environ`` maps the channels' default
environment variable names to this stand-in's credentials.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standins import StandInServer

APIS = ("kakaowork", "kakaotalk", "oauth", "slack", "webhook")
HEADER_STYLES = ("blue", "red", "yellow")
BUTTON_STYLES = ("default", "primary", "danger")
ACTION_TYPES = ("submit_action", "call_modal", "open_inapp_browser", "open_system_browser", "open_external_app")
KAKAOWORK_STATUS = {"invalid_authentication": 401, "too_many_requests": 429}


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived and what it was answered."""

    api: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    answer: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any  # JSON-able, or str for text/plain
    headers: tuple[tuple[str, str], ...] = ()


class _Hung(Exception):
    pass


class _Invalid(Exception):
    """A request that breaks the documented API: ``answer`` is what the service would say."""

    def __init__(self, reason: str, answer: _Answer) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answer = answer


class KakaoStandIn:
    """A loopback server answering like KakaoWork, KakaoTalk's memo API, Kakao OAuth and Slack."""

    def __init__(
        self,
        *,
        app_key: str = "kw-app-key",
        conversations: Iterable[str] = ("12345", "67890"),
        client_id: str = "talk-client-id",
        client_secret: str | None = None,
        access_token: str = "talk-access-1",
        refresh_token: str = "talk-refresh-1",
        slack_hooks: Iterable[str] = ("ops",),
        text_limit: int = 500,
        max_blocks: int = 50,
    ) -> None:
        self.app_key = app_key
        self.conversations = {str(c) for c in conversations}
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_tokens = {access_token}
        self._first_access_token = access_token
        self.expired_tokens: set[str] = set()
        self.refresh_token = refresh_token
        self.rotate_refresh_token = False
        self.revoked_refresh_tokens: set[str] = set()
        self.slack_hooks = set(slack_hooks)
        self.text_limit = text_limit
        self.max_blocks = max_blocks
        self.errors_with_status_200 = False
        self.requests: list[Recorded] = []
        self.messages: list[dict[str, Any]] = []
        self.memos: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self.slack_posts: list[tuple[str, Any]] = []
        self.hook_posts: list[tuple[str, Any]] = []
        self.rejections: list[tuple[str, str]] = []
        self._faults: dict[str, list[tuple[str, Any]]] = {api: [] for api in APIS}
        self._hanging: set[str] = set()
        self._outages: dict[str, int] = {}
        self._serial = itertools.count(2)
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> KakaoStandIn:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = StandInServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="kakao-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> KakaoStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def slack_url(self, name: str = "ops") -> str:
        return f"{self.url}/slack/{name}"

    def webhook_url(self, name: str = "khp") -> str:
        return f"{self.url}/hook/{name}"

    @property
    def access_token(self) -> str:
        """The newest KakaoTalk access token issued (expired or not)."""
        with self._lock:
            return self.refreshes[-1]["access_token"] if self.refreshes else self._first_access_token

    @property
    def environ(self) -> dict[str, str]:
        """The channels' default environment variables, holding this stand-in's credentials."""
        env = {
            "KHP_KAKAOWORK_APP_KEY": self.app_key,
            "KHP_KAKAOTALK_CLIENT_ID": self.client_id,
            "KHP_KAKAOTALK_REFRESH_TOKEN": self.refresh_token,
            "KHP_KAKAOTALK_ACCESS_TOKEN": self.access_token,
        }
        if self.client_secret:
            env["KHP_KAKAOTALK_CLIENT_SECRET"] = self.client_secret
        return env

    def requests_to(self, api: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.api == api]

    # -- switches --------------------------------------------------------------------------------

    def rate_limit(self, api: str, retry_after: float = 30, times: int = 1) -> None:
        self._queue(api, ("rate", retry_after), times)

    def fail_next(self, api: str, status: int = 500, times: int = 1) -> None:
        self._queue(api, ("status", status), times)

    def error_next(self, api: str, code: str | int, times: int = 1) -> None:
        self._queue(api, ("error", code), times)

    def outage(self, api: str, status: int = 500) -> None:
        with self._lock:
            self._outages[self._api(api)] = status

    def recover(self, api: str) -> None:
        with self._lock:
            self._outages.pop(self._api(api), None)

    def hang(self, api: str) -> None:
        with self._lock:
            self._hanging.add(self._api(api))

    def release(self) -> None:
        with self._lock:
            self._hanging.clear()

    def expire_access_token(self) -> None:
        with self._lock:
            self.expired_tokens |= self.access_tokens
            self.access_tokens.clear()

    def revoke_refresh_token(self) -> None:
        with self._lock:
            self.revoked_refresh_tokens.add(self.refresh_token)

    def _queue(self, api: str, fault: tuple[str, Any], times: int) -> None:
        with self._lock:
            self._faults[self._api(api)].extend([fault] * times)

    @staticmethod
    def _api(api: str) -> str:
        if api not in APIS:
            raise ValueError(f"unknown api {api!r}; one of {', '.join(APIS)}")
        return api

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        api = _api_of(path)
        with self._lock:
            hanging = api in self._hanging
        if hanging:  # recorded now, never answered: the client sees a timeout
            self.record(api, method, path, headers, body, 0, b"")
            self._wait_until_released(api)
            raise _Hung()
        with self._lock:
            fault = self._faults[api].pop(0) if self._faults[api] else None
            if fault is None and api in self._outages:
                fault = ("status", self._outages[api])
        try:
            if method != "POST":
                raise _Invalid(f"{method} {path}: only POST is served", _Answer(405, {"error": "method not allowed"}))
            answer = self._fault(api, fault) if fault else self._route(api, path, headers, body)
        except _Invalid as exc:
            with self._lock:
                self.rejections.append((api, exc.reason))
            answer = exc.answer
        return answer

    def record(
        self, api: str, method: str, path: str, headers: dict[str, str], body: bytes, status: int, answer: bytes
    ) -> None:
        """Keep one request (``status`` 0: it was left hanging)."""
        with self._lock:
            self.requests.append(Recorded(api, method, path, headers, body, status, answer))

    def _wait_until_released(self, api: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self._stopped.wait(0.02):
            with self._lock:
                if api not in self._hanging:
                    return

    def _route(self, api: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        if path == "/v1/messages.send":
            return self._kakaowork_send(headers, body)
        if path == "/v1/conversations.open":
            return self._kakaowork_open(headers, body)
        if path == "/v2/api/talk/memo/default/send":
            return self._memo(headers, body)
        if path == "/oauth/token":
            return self._token(headers, body)
        if path.startswith("/slack/"):
            return self._slack(path.removeprefix("/slack/"), headers, body)
        if path.startswith("/hook/"):
            return self._hook(path.removeprefix("/hook/"), body)
        raise _Invalid(f"no such path {path}", _Answer(404, {"error": "not found"}))

    def _fault(self, api: str, fault: tuple[str, Any]) -> _Answer:
        kind, arg = fault
        if kind == "status":
            return _Answer(arg, {"success": False, "error": {"code": "internal_error", "message": "server error"}})
        if api == "kakaowork":
            if kind == "rate":
                return self._kw_error("too_many_requests", "rate limit exceeded", (("Retry-After", f"{arg:g}"),))
            return self._kw_error(str(arg), f"error {arg}")
        if api == "kakaotalk":
            code = -10 if kind == "rate" else int(arg)
            return _Answer(401 if code == -401 else 400, {"msg": f"error {code}", "code": code})
        if api == "oauth":
            if kind == "rate":
                return _Answer(429, {"error": "too_many_requests"}, (("Retry-After", f"{arg:g}"),))
            return _Answer(400, {"error": str(arg), "error_description": f"error {arg}", "error_code": "KOE000"})
        if kind == "rate":
            return _Answer(429, "rate_limited", (("Retry-After", f"{arg:g}"),))
        return _Answer(400, str(arg))

    # -- KakaoWork -------------------------------------------------------------------------------

    def _kw_error(self, code: str, message: str, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
        status = 200 if self.errors_with_status_200 else KAKAOWORK_STATUS.get(code, 400)
        return _Answer(status, {"success": False, "error": {"code": code, "message": message}}, headers)

    def _kw_invalid(self, code: str, message: str) -> _Invalid:
        return _Invalid(f"{code}: {message}", self._kw_error(code, message))

    def _kw_body(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        if headers.get("authorization") != f"Bearer {self.app_key}":
            raise self._kw_invalid("invalid_authentication", "Authorization must be 'Bearer <app key>'")
        if not headers.get("content-type", "").startswith("application/json"):
            raise self._kw_invalid("invalid_parameter", "the Messages API takes application/json only")
        try:
            data = json.loads(body)
        except ValueError:
            raise self._kw_invalid("invalid_parameter", "the body is not JSON") from None
        if not isinstance(data, dict):
            raise self._kw_invalid("invalid_parameter", "the body must be a JSON object")
        return data

    def _kakaowork_send(self, headers: dict[str, str], body: bytes) -> _Answer:
        data = self._kw_body(headers, body)
        conversation = data.get("conversation_id")
        if not isinstance(conversation, (str, int)) or isinstance(conversation, bool) or conversation == "":
            raise self._kw_invalid("invalid_parameter", "conversation_id is required")
        if str(conversation) not in self.conversations:
            raise self._kw_invalid("conversation_not_found", f"no conversation {conversation}")
        text = data.get("text")
        if not isinstance(text, str) or not text:
            raise self._kw_invalid("invalid_parameter", "text is required")
        if utf16(text) > self.text_limit:
            raise self._kw_invalid("text_too_long", f"text has {utf16(text)} characters, at most {self.text_limit}")
        blocks = data.get("blocks", [])
        problem = block_kit_problem(blocks, self.max_blocks)
        if problem:
            raise self._kw_invalid("invalid_blocks", problem)
        with self._lock:
            self.messages.append(data)
            serial = len(self.messages)
        message = {"id": str(serial), "conversation_id": str(conversation), "text": text, "blocks": blocks}
        return _Answer(200, {"success": True, "message": {**message, "send_time": int(time.time())}})

    def _kakaowork_open(self, headers: dict[str, str], body: bytes) -> _Answer:
        data = self._kw_body(headers, body)
        users = [data["user_id"]] if "user_id" in data else data.get("user_ids")
        if not isinstance(users, list) or not users or not all(isinstance(u, int) for u in users):
            raise self._kw_invalid("invalid_parameter", "user_id (a number) or user_ids (a list) is required")
        with self._lock:
            conversation = str(100000 + next(self._serial))
            self.conversations.add(conversation)
        kind = "dm" if len(users) == 1 else "group"
        name = data.get("conversation_name")
        found = {"id": conversation, "type": kind, "users_count": len(users) + 1, "avatar_url": None, "name": name}
        return _Answer(200, {"success": True, "conversation": found})

    # -- KakaoTalk memo and OAuth ----------------------------------------------------------------

    def _memo(self, headers: dict[str, str], body: bytes) -> _Answer:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        with self._lock:
            valid, expired = token in self.access_tokens, token in self.expired_tokens
        if not valid:
            msg = "this access token is already expired" if expired else "this access token does not exist"
            raise _Invalid(f"-401: {msg}", _Answer(401, {"msg": msg, "code": -401}))
        form = _form(headers, body)
        if form is None:
            raise _talk_invalid("the body must be application/x-www-form-urlencoded")
        try:
            template = json.loads(form.get("template_object", ""))
        except ValueError:
            raise _talk_invalid("template_object must be a JSON object") from None
        problem = text_template_problem(template)
        if problem:
            raise _talk_invalid(problem)
        with self._lock:
            self.memos.append({"token": token, "template": template})
        return _Answer(200, {"result_code": 0})

    def _token(self, headers: dict[str, str], body: bytes) -> _Answer:
        form = _form(headers, body)
        if form is None:
            raise _oauth_invalid(400, "invalid_request", "KOE010", "the body must be application/x-www-form-urlencoded")
        if form.get("grant_type") != "refresh_token":
            raise _oauth_invalid(400, "unsupported_grant_type", "KOE004", "grant_type must be refresh_token here")
        if form.get("client_id") != self.client_id:
            raise _oauth_invalid(401, "invalid_client", "KOE101", f"unknown client_id {form.get('client_id')!r}")
        if self.client_secret is not None and form.get("client_secret") != self.client_secret:
            raise _oauth_invalid(401, "invalid_client", "KOE010", "Bad client credentials")
        with self._lock:
            given = form.get("refresh_token")
            if given != self.refresh_token or given in self.revoked_refresh_tokens:
                raise _oauth_invalid(400, "invalid_grant", "KOE322", "Invalid refresh token")
            serial = next(self._serial)
            answer: dict[str, Any] = {
                "token_type": "bearer",
                "access_token": f"talk-access-{serial}",
                "expires_in": 43199,
            }
            if self.rotate_refresh_token:
                self.refresh_token = f"talk-refresh-{serial}"
                answer.update(refresh_token=self.refresh_token, refresh_token_expires_in=5183999)
            self.access_tokens.add(answer["access_token"])
            self.refreshes.append(answer)
        return _Answer(200, answer)

    # -- Slack and webhooks ----------------------------------------------------------------------

    def _slack(self, name: str, headers: dict[str, str], body: bytes) -> _Answer:
        if name not in self.slack_hooks:
            raise _Invalid(f"no_service: {name}", _Answer(404, "no_service"))
        try:
            data = json.loads(body)
        except ValueError:
            raise _Invalid("invalid_payload: not JSON", _Answer(400, "invalid_payload")) from None
        if not isinstance(data, dict) or not (data.get("text") or data.get("blocks")):
            raise _Invalid("no_text", _Answer(400, "no_text"))
        problem = slack_blocks_problem(data.get("blocks", []))
        if problem:
            raise _Invalid(f"invalid_blocks: {problem}", _Answer(400, "invalid_blocks"))
        with self._lock:
            self.slack_posts.append((name, data))
        return _Answer(200, "ok")

    def _hook(self, name: str, body: bytes) -> _Answer:
        try:
            data = json.loads(body)
        except ValueError:
            raise _Invalid("webhook body is not JSON", _Answer(400, {"error": "not JSON"})) from None
        with self._lock:
            self.hook_posts.append((name, data))
        return _Answer(200, {"ok": True})


def _api_of(path: str) -> str:
    if path.startswith("/v1/"):
        return "kakaowork"
    if path.startswith("/v2/api/talk/"):
        return "kakaotalk"
    if path.startswith("/oauth/"):
        return "oauth"
    if path.startswith("/slack/"):
        return "slack"
    return "webhook"


def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str] | None:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))


def _talk_invalid(message: str) -> _Invalid:
    return _Invalid(f"-2: {message}", _Answer(400, {"msg": message, "code": -2}))


def _oauth_invalid(status: int, error: str, code: str, description: str) -> _Invalid:
    answer = {"error": error, "error_description": description, "error_code": code}
    return _Invalid(f"{error}: {description}", _Answer(status, answer))


# -- checks ----------------------------------------------------------------------------------------


def block_kit_problem(blocks: Any, max_blocks: int = 50) -> str | None:
    """What breaks KakaoWork's Block Kit rules in ``blocks`` (the first thing found), or ``None``."""
    if not isinstance(blocks, list):
        return "blocks must be a list"
    if len(blocks) > max_blocks:
        return f"{len(blocks)} blocks, at most {max_blocks}"
    for index, block in enumerate(blocks):
        problem = _block_problem(block, f"blocks[{index}]")
        if problem:
            return problem
    return None


def _block_problem(block: Any, where: str) -> str | None:
    if not isinstance(block, dict):
        return f"{where} must be an object"
    kind = block.get("type")
    if kind == "header":
        return _length(block, "text", 20, where) or _one_of(block, "style", HEADER_STYLES, where)
    if kind == "text":
        return _text_problem(block, where)
    if kind == "button":
        return _button_problem(block, where)
    if kind == "divider":
        return None
    if kind == "image_link":
        return _url(block, "url", where)
    if kind == "description":
        problem = _length(block, "term", 10, where) or _nested(block, "content", "text", where)
        if problem is None and "accent" in block and not isinstance(block["accent"], bool):
            problem = f"{where}.accent must be true or false"
        return problem
    if kind == "context":
        return _nested(block, "content", "text", where) or _nested(block, "image", "image_link", where)
    if kind == "section":
        return _nested(block, "content", "text", where) or _nested(block, "accessory", "image_link", where)
    if kind == "action":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 3:
            return f"{where}.elements must hold 1 to 3 buttons"
        for index, element in enumerate(elements):
            inner = f"{where}.elements[{index}]"
            if not isinstance(element, dict) or element.get("type") != "button":
                return f"{inner} must be a button"
            problem = _button_problem(element, inner)
            if problem:
                return problem
        return None
    return f"{where}.type {kind!r} is not a Block Kit block"


def _text_problem(block: dict[str, Any], where: str) -> str | None:
    problem = _length(block, "text", 500, where)
    if problem is None and "markdown" in block and not isinstance(block["markdown"], bool):
        problem = f"{where}.markdown must be true or false"
    if problem is None and "inlines" in block:
        inlines = block["inlines"]
        ok = isinstance(inlines, list) and all(
            isinstance(i, dict) and i.get("type") in ("styled", "link") and isinstance(i.get("text"), str)
            for i in inlines
        )
        problem = None if ok else f"{where}.inlines must be styled or link inlines with text"
    return problem


def _button_problem(block: dict[str, Any], where: str) -> str | None:
    problem = _length(block, "text", 20, where) or _one_of(block, "style", BUTTON_STYLES, where)
    if problem or "action_type" not in block:
        return problem
    action = block["action_type"]
    if action not in ACTION_TYPES:
        return f"{where}.action_type must be one of {', '.join(ACTION_TYPES)}, got {action!r}"
    if action == "submit_action":
        return _length(block, "action_name", 1000, where) or _length(block, "value", 1000, where)
    if action in ("open_inapp_browser", "open_system_browser"):
        return _url(block, "value", where)
    return _length(block, "value", 1000, where)


def _nested(block: dict[str, Any], key: str, kind: str, where: str) -> str | None:
    inner = block.get(key)
    if not isinstance(inner, dict) or inner.get("type") != kind:
        return f"{where}.{key} must be a {kind} block"
    return _block_problem(inner, f"{where}.{key}")


def _length(block: Mapping[str, Any], key: str, limit: int, where: str) -> str | None:
    value = block.get(key)
    if not isinstance(value, str) or not value:
        return f"{where}.{key} must be a non-empty string"
    if utf16(value) > limit:
        return f"{where}.{key} has {utf16(value)} characters, at most {limit}"
    return None


def utf16(text: str) -> int:
    """Characters as the APIs count them: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _one_of(block: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str | None:
    if block.get(key) not in allowed:
        return f"{where}.{key} must be one of {', '.join(allowed)}, got {block.get(key)!r}"
    return None


def _url(block: Mapping[str, Any], key: str, where: str, limit: int = 1000) -> str | None:
    value = block.get(key)
    try:
        parts = urllib.parse.urlsplit(value) if isinstance(value, str) else None
        host = parts.hostname if parts else None
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        return f"{where}.{key} must be an http(s) URL, got {value!r}"
    if utf16(value) > limit:
        return f"{where}.{key} has {utf16(value)} characters, at most {limit}"
    return None


def text_template_problem(template: Any) -> str | None:
    """What breaks the KakaoTalk text template rules in ``template``, or ``None``."""
    if not isinstance(template, dict):
        return "template_object must be a JSON object"
    if template.get("object_type") != "text":
        return f"object_type must be 'text' here, got {template.get('object_type')!r}"
    problem = _length(template, "text", 200, "template_object")
    if problem:
        return problem
    link = template.get("link")
    if not isinstance(link, dict) or not all(isinstance(v, str) for v in link.values()):
        return "template_object.link must be an object of strings"
    for key in link:
        problem = _url(link, key, "template_object.link")
        if problem:
            return problem
    if "button_title" in template and not isinstance(template["button_title"], str):
        return "template_object.button_title must be a string"
    buttons = template.get("buttons", [])
    if not isinstance(buttons, list) or len(buttons) > 2:
        return "template_object.buttons must be a list of at most 2"
    return None


def slack_blocks_problem(blocks: Any) -> str | None:
    """What breaks Slack's Block Kit limits (for the blocks khp sends), or ``None``."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50"
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            problem = _length(block.get("text", {}), "text", 150, f"{where}.text")
        elif kind == "section":
            problem = _length(block.get("text", {}), "text", 3000, f"{where}.text")
        elif kind == "context":
            problem = None if isinstance(block.get("elements"), list) else f"{where}.elements must be a list"
        elif kind == "actions":
            problem = _slack_buttons(block.get("elements"), where)
        elif kind == "divider":
            problem = None
        else:
            problem = f"{where}.type {kind!r} is not one khp sends"
        if problem:
            return problem
    return None


def _slack_buttons(elements: Any, where: str) -> str | None:
    if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
        return f"{where}.elements must hold 1 to 25 elements"
    for index, button in enumerate(elements):
        inner = f"{where}.elements[{index}]"
        problem = _length(button.get("text", {}), "text", 75, f"{inner}.text") or _url(button, "url", inner, 3000)
        if problem:
            return problem
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out separately: without it each answer waits ~40 ms
    standin: KakaoStandIn

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urllib.parse.urlsplit(self.path).path
        api = _api_of(path)
        try:
            answer = self.standin.handle(self.command, path, headers, body)
        except _Hung:
            self.close_connection = True
            return
        if isinstance(answer.body, str):
            payload, content_type = answer.body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(answer.body).encode(), "application/json; charset=utf-8"
        self.standin.record(api, self.command, path, headers, body, answer.status, payload)
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
