"""Slack incoming webhooks: Block Kit with link buttons (a webhook cannot receive button presses).

Options (all optional)::

    url_env: KHP_SLACK_WEBHOOK_URL   # env variable with the webhook URL; {target} picks one per room
    timeout: 10

With ``url_env: KHP_SLACK_{target}_URL`` the room ``slack:ops`` posts to ``$KHP_SLACK_OPS_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .._channel import DeliveryError
from .._content import Link, MessageContent, by_check, count_checks
from .._i18n import phrase
from .._urls import http_url
from . import _http
from ._errors import ChannelConfigError
from ._forms import without
from ._limits import SLACK_TEXT, SLACK_URL, slack_problems
from ._options import Options, env_name, per_target
from ._text import shorten, split, units

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
MAX_BLOCKS = 50
BUTTONS_PER_ACTIONS = 25


class SlackChannel:
    """A Slack incoming webhook: ``POST {"text", "blocks"}``, answered ``ok``."""

    name = "slack"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        session: requests.Session | None = None,
    ) -> None:
        read = Options(self.name, options, ("url_env", "timeout"))
        self.url_env = read.text("url_env", "KHP_SLACK_WEBHOOK_URL")
        self.timeout = read.number("timeout", 10)
        self.environ = dict(environ or {})
        self.session = session or _http.Session()
        if not per_target(self.url_env) and not self.environ.get(self.url_env):
            raise ChannelConfigError(
                f"channel 'slack' option 'url_env': environment variable {self.url_env} is not set; "
                "put the incoming webhook URL there"
            )

    def render(self, content: MessageContent) -> dict[str, Any]:
        head: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": shorten(content.title, HEADER_LIMIT)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(content.summary)}]},
        ]
        tail = [_section(note) for note in content.notes]
        links = _unique([link for s in content.subjects for link in s.links] + list(content.links))
        links = [link for link in links if http_url(link.url) and units(link.url) <= SLACK_URL]
        buttons = [_button(link, content) for link in links[:BUTTONS_PER_ACTIONS]]
        tail += [{"type": "actions", "elements": buttons}] if buttons else []
        room = MAX_BLOCKS - len(head) - len(tail)
        body: list[dict[str, Any]] = []
        for index, item in enumerate(content.items):
            blocks = [_section(chunk) for chunk in split(item.text, SECTION_LIMIT)]
            if len(body) + len(blocks) + (1 if index < len(content.items) - 1 else 0) > room:
                left = count_checks(i.check for i in content.items[index:])
                line = phrase(content.language, "overflow", count=sum(c.count for c in left), by_check=by_check(left))
                body.append(_section(shorten(line, SECTION_LIMIT)))
                break
            body += blocks
        return {"text": content.preview, "blocks": [*head, *body, *tail]}

    def problems(self, payload: Mapping[str, Any]) -> list[str]:
        """What an incoming webhook would refuse in ``payload`` (``[]`` when nothing)."""
        return slack_problems(payload)

    def simpler(self, payload: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
        """Without the offending blocks (or the buttons), then the bare text."""
        given = payload.get("text")
        text = given if isinstance(given, str) else ""
        text = shorten(text.strip() or "khp", SLACK_TEXT)
        dropped = without(payload, problems)
        if dropped is not None and dropped["blocks"]:
            return {**dropped, "text": text}
        plain = {"text": text}
        return plain if plain != payload else None

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        name = env_name(self.url_env, target)
        url = self.environ.get(name, "")
        if not url:
            raise DeliveryError(f"Slack room {target}: environment variable {name} is not set", permanent=True)
        what = f"Slack room {target}"
        response = _http.post(self.session, url, timeout=self.timeout, what=what, json=dict(payload))
        if response.ok:
            return
        said = f"{what}: HTTP {response.status_code}: {_http.excerpt(response)}"
        if _http.transient(response.status_code):
            raise DeliveryError(f"{said}; will retry", retry_after=_http.retry_after(response))
        if response.status_code in (400, 413, 422):  # invalid_blocks, no_text, invalid_payload...
            raise DeliveryError(f"{said}; the message was refused as it is", rejected=True)
        raise DeliveryError(f"{said}; retrying cannot help", permanent=True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(_escape(text), SECTION_LIMIT)}}


def _button(link: Link, content: MessageContent) -> dict[str, Any]:
    label = link.label
    if link.kind in ("source", "silence") and len(content.subjects) > 1:
        check = next((s.check for s in content.subjects if link in s.links), "")
        label = f"{label} ({check})" if check else label
    return {"type": "button", "text": {"type": "plain_text", "text": shorten(label, BUTTON_LIMIT)}, "url": link.url}


def _unique(links: list[Link]) -> list[Link]:
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.url, link)
    return list(seen.values())
