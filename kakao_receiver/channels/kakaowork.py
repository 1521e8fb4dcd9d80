"""KakaoWork bot messages: Block Kit within KakaoWork's limits, sent with ``messages.send``.

Options (all optional)::

    base_url:    https://api.kakaowork.com
    app_key_env: KHP_KAKAOWORK_APP_KEY     # the environment variable holding the bot's app key
    timeout:     10                        # seconds
    max_blocks:  50                        # blocks per message (no documented limit; 50 is ours)

The target of a room (``kakaowork:12345``) is the conversation id. Buttons: mute 1h, critical
only 1h, maintenance 2h (``submit_action`` to the bot's callback) and "custom duration"
(``call_modal``), plus links to the monitor code, a prefilled Alertmanager silence and the console.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .._channel import DeliveryError
from .._content import Link, MessageContent, Subject, by_check, count_checks
from .._i18n import phrase
from .._urls import http_url
from . import _http
from ._forms import block_texts, plain_blocks, without
from ._limits import KAKAOWORK_VALUE, kakaowork_problems
from ._options import Options
from ._text import shorten, split, units

HEADER_LIMIT = 20
TEXT_LIMIT = 500
BUTTON_LIMIT = 20
TERM_LIMIT = 10
BUTTONS_PER_ACTION = 3
PREVIEW_LIMIT = 500
HEADER_STYLES = {"critical": "red", "warning": "yellow", "none": "yellow", "resolved": "blue"}
PERMANENT = frozenset({"conversation_not_found", "invalid_authentication"})
REJECTED = frozenset({"invalid_parameter", "invalid_blocks", "text_too_long"})
"""Error codes that refuse the payload itself: a simpler form of the message may pass."""
_SUBJECTS_WITH_BUTTONS = 3
_NOTE_BLOCKS = 2
_ACTION_TYPES = {"submit": "submit_action", "modal": "call_modal"}
_ACTION_STYLES = {"maintenance": "danger"}


class KakaoWorkChannel:
    """KakaoWork's bot API (``POST /v1/messages.send``, ``Authorization: Bearer <app key>``)."""

    name = "kakaowork"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        session: requests.Session | None = None,
    ) -> None:
        read = Options(self.name, options, ("base_url", "app_key_env", "timeout", "max_blocks"))
        self.base_url = read.url("base_url", "https://api.kakaowork.com")
        self.timeout = read.number("timeout", 10)
        self.max_blocks = read.integer("max_blocks", 50, minimum=12)
        key_env = read.text("app_key_env", "KHP_KAKAOWORK_APP_KEY")
        self._app_key = (environ or {}).get(key_env, "")
        if not self._app_key:
            raise read.error("app_key_env", f"environment variable {key_env} is not set; put the bot's app key there")
        self.session = session or _http.Session()

    def render(self, content: MessageContent) -> dict[str, Any]:
        """``{"text": preview, "blocks": [...]}`` within every Block Kit limit; long text goes on in more blocks."""
        return {"text": shorten(content.preview, PREVIEW_LIMIT), "blocks": _Layout(content, self.max_blocks).blocks()}

    def problems(self, payload: Mapping[str, Any]) -> list[str]:
        """What KakaoWork would refuse in ``payload`` (``[]`` when nothing)."""
        return kakaowork_problems(payload, self.max_blocks)

    def simpler(self, payload: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
        """Without the offending blocks (or the buttons), then text blocks only, then the bare text."""
        blocks = list(payload.get("blocks") or [])
        given = payload.get("text")
        text = given if isinstance(given, str) else ""
        preview = shorten(text.strip() or "khp", PREVIEW_LIMIT)
        dropped = without(payload, problems)
        if dropped is not None and dropped["blocks"]:
            return {**dropped, "text": preview}
        texts = block_texts(blocks)
        plain = plain_blocks("\n".join(texts), TEXT_LIMIT, self.max_blocks, _text) if texts else []
        if blocks and plain != blocks:
            return {"text": preview, "blocks": plain}
        if blocks or text != preview:
            return {"text": preview, "blocks": []}
        return None

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        body = {"conversation_id": target, "text": payload["text"], "blocks": payload["blocks"]}
        what = f"KakaoWork conversation {target}"
        response = _http.post(
            self.session,
            f"{self.base_url}/v1/messages.send",
            timeout=self.timeout,
            what=what,
            json=body,
            headers={"Authorization": f"Bearer {self._app_key}"},
        )
        answer = _http.json_body(response)
        if response.ok and isinstance(answer, Mapping) and answer.get("success") is True:
            return
        raise _error(what, response, answer)


def _error(what: str, response: requests.Response, answer: Any) -> DeliveryError:
    error = answer.get("error") if isinstance(answer, Mapping) else None
    code = str(error.get("code", "")) if isinstance(error, Mapping) else ""
    message = str(error.get("message", "")) if isinstance(error, Mapping) else _http.excerpt(response)
    said = f"{what}: HTTP {response.status_code} {code or 'without an error code'}: {message}".rstrip(": ")
    if code == "too_many_requests" or response.status_code == 429:
        return DeliveryError(f"{said}; will retry", retry_after=_http.retry_after(response))
    if code in REJECTED:
        return DeliveryError(f"{said}; the message was refused as it is", rejected=True)
    if code in PERMANENT:
        return DeliveryError(f"{said}; retrying cannot help", permanent=True)
    if code and not _http.transient(response.status_code) and 400 <= response.status_code < 500:
        return DeliveryError(f"{said}; retrying cannot help", permanent=True)
    return DeliveryError(f"{said}; will retry")


class _Layout:
    """The blocks of one message: head, alerts, notes, then buttons, within ``max_blocks``."""

    def __init__(self, content: MessageContent, max_blocks: int) -> None:
        self.content = content
        self.max_blocks = max_blocks

    def say(self, key: str, **values: object) -> str:
        return phrase(self.content.language, key, **values)

    def blocks(self) -> list[dict[str, Any]]:
        content = self.content
        head = [_header(self.header_text(), HEADER_STYLES[content.tone]), _text(content.title)]
        head += [_description(self.say("label.cluster"), content.cluster)] if content.cluster else []
        head += [_description(self.say("label.status"), content.summary)]
        notes = [block for note in content.notes for block in _texts(note)[:_NOTE_BLOCKS]]
        fixed = len(head) + len(notes) + 2  # two dividers
        for with_buttons in range(min(_SUBJECTS_WITH_BUTTONS, len(content.subjects)), -1, -1):
            tail = self.buttons(with_buttons)
            if fixed + len(tail) < self.max_blocks:
                break
        room = self.max_blocks - fixed - len(tail)
        body: list[dict[str, Any]] = []
        for index, item in enumerate(content.items):
            blocks = _texts(item.text)
            left = len(content.items) - index - 1
            if len(body) + len(blocks) + (1 if left else 0) > room:
                body.append(_text(self.overflow(index)))
                break
            body += blocks
        return [*head, _divider(), *body, *notes, _divider(), *tail]

    def header_text(self) -> str:
        tone = self.content.tone
        tag = self.say("status.resolved") if tone == "resolved" else self.say(f"severity.{tone}")
        return shorten(f"{tag} · {self.content.cluster}" if self.content.cluster else tag, HEADER_LIMIT)

    def overflow(self, index: int) -> str:
        """What the message could not hold, counted per check, and where to see it all."""
        content = self.content
        left = count_checks(item.check for item in content.items[index:])
        line = self.say("overflow", count=sum(c.count for c in left), by_check=by_check(left))
        where = next((link.url for link in content.links if link.kind in ("alerts", "console")), "")
        if not where or len(where) > TEXT_LIMIT // 2:
            return shorten(line, TEXT_LIMIT)
        return shorten(line, TEXT_LIMIT - 1 - len(where)) + f"\n{where}"

    def buttons(self, with_buttons: int) -> list[dict[str, Any]]:
        """Buttons for the first ``with_buttons`` subjects; the others' links as text, then the group's links."""
        subjects = self.content.subjects
        shown, rest = subjects[:with_buttons], subjects[with_buttons:]
        blocks: list[dict[str, Any]] = []
        seen: set[str] = set()
        for subject in shown:
            if len(subjects) > 1:
                blocks.append(_text(f"{subject.check} · {subject.cluster}"))
            buttons = [_action_button(a.name, a.kind, a.label, a.value) for a in subject.actions]
            buttons += [button for link in self.new_links(subject.links, seen) if (button := _link_button(link))]
            blocks += _rows(buttons)
        listed = self.listed_links(rest, seen)
        blocks += [_text(listed)] if listed else []
        blocks += _rows([button for link in self.new_links(self.content.links, seen) if (button := _link_button(link))])
        return blocks

    @staticmethod
    def new_links(links: tuple[Link, ...], seen: set[str]) -> list[Link]:
        fresh = [link for link in links if link.url not in seen]
        seen.update(link.url for link in fresh)
        return fresh

    def listed_links(self, subjects: tuple[Subject, ...], seen: set[str]) -> str:
        lines = [
            f"{link.label} ({subject.check} · {subject.cluster}): {link.url}"
            for subject in subjects
            for link in self.new_links(subject.links, seen)
        ]
        return "\n".join(lines)


def _header(text: str, style: str) -> dict[str, Any]:
    return {"type": "header", "text": shorten(text, HEADER_LIMIT), "style": style}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": shorten(text, TEXT_LIMIT), "markdown": False}


def _texts(text: str) -> list[dict[str, Any]]:
    return [_text(chunk) for chunk in split(text, TEXT_LIMIT) if chunk.strip()]


def _description(term: str, content: str) -> dict[str, Any]:
    return {"type": "description", "term": shorten(term, TERM_LIMIT), "content": _text(content), "accent": True}


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _action_button(name: str, kind: str, label: str, value: str) -> dict[str, Any]:
    style = _ACTION_STYLES.get(name, "default")
    action_type = _ACTION_TYPES[kind]
    button = {"type": "button", "text": shorten(label, BUTTON_LIMIT), "style": style, "action_type": action_type}
    return {**button, "action_name": name, "value": value}


def _link_button(link: Link) -> dict[str, Any] | None:
    if not http_url(link.url) or units(link.url) > KAKAOWORK_VALUE:  # it would get the whole message refused
        return None
    return {
        "type": "button",
        "text": shorten(link.label, BUTTON_LIMIT),
        "style": "default",
        "action_type": "open_system_browser",
        "value": link.url,
    }


def _rows(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"type": "action", "elements": buttons[start : start + BUTTONS_PER_ACTION]}
        for start in range(0, len(buttons), BUTTONS_PER_ACTION)
    ]
