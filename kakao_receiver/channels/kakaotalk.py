"""KakaoTalk "send to me" memos: a text template of at most 200 characters linking to the full list.

Options (all optional)::

    base_url:          https://kapi.kakao.com
    auth_url:          https://kauth.kakao.com
    client_id_env:     KHP_KAKAOTALK_CLIENT_ID       # the app's REST API key
    client_secret_env: ""                            # set when the app enforces a client secret
    refresh_token_env: KHP_KAKAOTALK_REFRESH_TOKEN
    access_token_env:  KHP_KAKAOTALK_ACCESS_TOKEN    # may be unset: the first send refreshes
    token_file:        ""                            # e.g. var/kakaotalk-{target}.json, kept across restarts
    timeout:           10

A memo goes to the KakaoTalk account that owns the token, so a room's target (``kakaotalk:oncall``)
picks an account: write ``{target}`` in the environment variable names and the token file
(``KHP_KAKAOTALK_{target}_REFRESH_TOKEN`` -> ``KHP_KAKAOTALK_ONCALL_REFRESH_TOKEN``). Without
``{target}`` every room of this channel is the same account.

An expired access token (401) is refreshed once with the refresh token and the memo sent again;
the new tokens (Kakao rotates the refresh token when it nears its end) are kept in memory and
written to ``token_file``. A token file is used while the refresh token it was made from is
still the one in the environment; after logging in again and setting a new refresh token, the
file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from .._channel import DeliveryError
from .._content import MessageContent
from .._i18n import phrase
from .._urls import http_url
from . import _http
from ._errors import ChannelConfigError
from ._limits import kakaotalk_problems
from ._options import TARGET, Options, env_name, per_target
from ._text import shorten

TEXT_LIMIT = 200
BUTTON_TITLE_LIMIT = 14
RETRYABLE_CODES = frozenset({-1, -7, -10, -603, -9798})
"""Kakao API error codes worth retrying: internal error, maintenance, quota exceeded, timeout, maintenance."""


class KakaoTalkChannel:
    """KakaoTalk's memo API (``POST /v2/api/talk/memo/default/send``) with OAuth token refresh."""

    name = "kakaotalk"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        session: requests.Session | None = None,
    ) -> None:
        read = Options(
            self.name,
            options,
            (
                "base_url",
                "auth_url",
                "client_id_env",
                "client_secret_env",
                "refresh_token_env",
                "access_token_env",
                "token_file",
                "timeout",
            ),
        )
        self.base_url = read.url("base_url", "https://kapi.kakao.com")
        self.auth_url = read.url("auth_url", "https://kauth.kakao.com")
        self.timeout = read.number("timeout", 10)
        self.client_id_env = read.text("client_id_env", "KHP_KAKAOTALK_CLIENT_ID")
        self.client_secret_env = read.text("client_secret_env", "")
        self.refresh_token_env = read.text("refresh_token_env", "KHP_KAKAOTALK_REFRESH_TOKEN")
        self.access_token_env = read.text("access_token_env", "KHP_KAKAOTALK_ACCESS_TOKEN")
        self.token_file = read.text("token_file", "")
        self.environ = dict(environ or {})
        self.session = session or _http.Session()
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()
        if not any(per_target(t) for t in (self.client_id_env, self.refresh_token_env, self.token_file)):
            try:
                self._account("")  # one account for every room: check its settings now, not at the first alert
            except DeliveryError as exc:
                raise ChannelConfigError(f"channel {self.name!r}: {exc}") from None

    def render(self, content: MessageContent) -> dict[str, Any]:
        """``{"template_object": {...}}``: a text template of at most 200 characters."""
        url = next((link.url for link in content.links if link.kind == "console"), "")
        url = url or next((link.url for link in content.links if link.kind == "alerts"), "")
        url = url or next((link.url for s in content.subjects for link in s.links if link.kind == "source"), "")
        url = url if http_url(url) else ""
        template: dict[str, Any] = {
            "object_type": "text",
            "text": memo_text(content),
            "link": {"web_url": url, "mobile_web_url": url} if url else {},
        }
        if url:
            template["button_title"] = shorten(phrase(content.language, "details"), BUTTON_TITLE_LIMIT)
        return {"template_object": template}

    def problems(self, payload: Mapping[str, Any]) -> list[str]:
        """What the memo API would refuse in ``payload`` (``[]`` when nothing)."""
        return kakaotalk_problems(payload)

    def simpler(self, payload: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
        """The bare text (within 200 characters), without the link and its button."""
        template = payload.get("template_object")
        text = template.get("text") if isinstance(template, Mapping) else None
        text = shorten(text.strip(), TEXT_LIMIT) if isinstance(text, str) and text.strip() else "khp"
        plain = {"template_object": {"object_type": "text", "text": text, "link": {}}}
        return plain if plain != payload else None

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        account = self._account(target)
        what = f"KakaoTalk memo to {target or 'me'}"
        token = account.access_token or account.refresh(self, stale="")
        response = self._memo(token, payload, what)
        if response.status_code == 401:
            token = account.refresh(self, stale=token)
            response = self._memo(token, payload, what)
            if response.status_code == 401:
                raise _error(f"{what} (with a freshly refreshed token)", response, permanent=True)
        answer = _http.json_body(response)
        if response.ok and isinstance(answer, Mapping) and answer.get("result_code") == 0:
            return
        raise _error(what, response)

    def _memo(self, token: str, payload: Mapping[str, Any], what: str) -> requests.Response:
        return _http.post(
            self.session,
            f"{self.base_url}/v2/api/talk/memo/default/send",
            timeout=self.timeout,
            what=what,
            data={"template_object": json.dumps(payload["template_object"], ensure_ascii=False)},
            headers={"Authorization": f"Bearer {token}"},
        )

    def _account(self, target: str) -> _Account:
        with self._lock:
            if target not in self._accounts:
                self._accounts[target] = _Account.load(self, target)
            return self._accounts[target]


def memo_text(content: MessageContent) -> str:
    """Title, counts, then as many alerts as fit in 200 characters, then how many more (never cut silently)."""
    head = [shorten(content.title, TEXT_LIMIT // 2), content.summary]
    total = len(content.items) + content.omitted_count + content.truncated
    lines: list[str] = []
    for item in content.items:
        line = shorten(f"{item.heading} {item.condition}".strip(), TEXT_LIMIT // 2)
        hidden = total - len(lines) - 1
        tail = [_more(content, hidden)] if hidden else []
        if len("\n".join([*head, *lines, line, *tail])) > TEXT_LIMIT:
            break
        lines.append(line)
    hidden = total - len(lines)
    tail = [_more(content, hidden)] if hidden else []
    return shorten("\n".join([*head, *lines, *tail]), TEXT_LIMIT)


def _more(content: MessageContent, count: int) -> str:
    return phrase(content.language, "more.count", count=count)


def _error(what: str, response: requests.Response, permanent: bool | None = None) -> DeliveryError:
    answer = _http.json_body(response)
    code = answer.get("code") if isinstance(answer, Mapping) else None
    if isinstance(answer, Mapping) and "result_code" in answer:
        said = f"{what}: result_code {answer['result_code']}"
        return DeliveryError(f"{said}; will retry", permanent=bool(permanent))
    message = str(answer.get("msg", "")) if isinstance(answer, Mapping) else _http.excerpt(response)
    said = f"{what}: HTTP {response.status_code}" + (f" code {code}" if code is not None else "") + f": {message}"
    if permanent is None and code == -2:  # invalid parameter: the template itself was refused
        return DeliveryError(f"{said}; the memo was refused as it is", rejected=True)
    if permanent is None:
        permanent = code not in RETRYABLE_CODES and not _http.transient(response.status_code)
    if permanent:
        return DeliveryError(f"{said}; retrying cannot help", permanent=True)
    return DeliveryError(f"{said}; will retry", retry_after=_http.retry_after(response))


class _Account:
    """One KakaoTalk account's tokens: from the token file or the environment, refreshed when they expire."""

    def __init__(
        self,
        target: str,
        client_id: str,
        client_secret: str,
        access_token: str,
        refresh_token: str,
        seed: str,
        token_file: Path | None,
    ) -> None:
        self.target = target
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.seed = seed
        self.token_file = token_file
        self.lock = threading.Lock()

    @classmethod
    def load(cls, channel: KakaoTalkChannel, target: str) -> _Account:
        def env(template: str, required: bool) -> str:
            if not template:
                return ""
            name = env_name(template, target)
            value = channel.environ.get(name, "")
            if required and not value:
                who = f"KakaoTalk {target or 'account'}"
                raise DeliveryError(f"environment variable {name} is not set ({who})", permanent=True)
            return value

        client_id = env(channel.client_id_env, required=True)
        env_refresh = env(channel.refresh_token_env, required=True)
        seed = hashlib.sha256(env_refresh.encode()).hexdigest()[:16]
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", target)
        token_file = Path(channel.token_file.replace(TARGET, safe)) if channel.token_file else None
        saved = _read_tokens(token_file)
        if saved.get("seed") == seed and saved.get("refresh_token"):
            access, refresh = str(saved.get("access_token", "")), str(saved["refresh_token"])
        else:
            access, refresh = env(channel.access_token_env, required=False), env_refresh
        secret = env(channel.client_secret_env, required=bool(channel.client_secret_env))
        return cls(target, client_id, secret, access, refresh, seed, token_file)

    def refresh(self, channel: KakaoTalkChannel, stale: str) -> str:
        """A new access token, unless another sender already replaced ``stale``."""
        with self.lock:
            if self.access_token and self.access_token != stale:
                return self.access_token
            form = {"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": self.refresh_token}
            if self.client_secret:
                form["client_secret"] = self.client_secret
            what = f"KakaoTalk token refresh for {self.target or 'the account'}"
            response = _http.post(
                channel.session, f"{channel.auth_url}/oauth/token", timeout=channel.timeout, what=what, data=form
            )
            answer = _http.json_body(response)
            if not (response.ok and isinstance(answer, Mapping) and answer.get("access_token")):
                raise _refresh_error(what, response, answer)
            self.access_token = str(answer["access_token"])
            self.refresh_token = str(answer.get("refresh_token") or self.refresh_token)
            self.save()
            return self.access_token

    def save(self) -> None:
        if self.token_file is None:
            return
        data = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "seed": self.seed,
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self.token_file.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.token_file.with_name(f".{self.token_file.name}.{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(scratch, self.token_file)


def _refresh_error(what: str, response: requests.Response, answer: Any) -> DeliveryError:
    if isinstance(answer, Mapping) and answer.get("error"):
        said = f"{what}: HTTP {response.status_code} {answer.get('error')} {answer.get('error_code', '')}".rstrip()
        said += f": {answer.get('error_description', '')}"
    else:
        said = f"{what}: HTTP {response.status_code}: {_http.excerpt(response)}"
    if _http.transient(response.status_code):
        return DeliveryError(f"{said}; will retry", retry_after=_http.retry_after(response))
    return DeliveryError(
        f"{said}; log in to Kakao again (talk_message consent) and put the new refresh token in the environment",
        permanent=True,
    )


def _read_tokens(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
