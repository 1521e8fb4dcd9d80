"""What each chat API accepts, checked before a message is stored or sent; pure, no I/O.

``kakaowork_problems(payload)``, ``kakaotalk_problems``, ``slack_problems`` and
``webhook_problems`` list what in a rendered payload the service would refuse (``[]`` when it
is fine), each naming the place (``blocks[7].value``). Text limits count UTF-16 code units, as
the APIs do (``_text.units``); a button value is also kept within as many UTF-8 bytes, since
KakaoWork does not say which of the two it counts. Links must be absolute ``http(s)`` URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._urls import http_url
from ._text import units, utf8

KAKAOWORK_TEXT = 500
KAKAOWORK_HEADER = 20
KAKAOWORK_BUTTON = 20
KAKAOWORK_TERM = 10
KAKAOWORK_VALUE = 1000
KAKAOWORK_BUTTONS = 3
KAKAOWORK_BLOCKS = 50
KAKAOTALK_TEXT = 200
KAKAOTALK_BUTTON_TITLE = 14
SLACK_BLOCKS = 50
SLACK_HEADER = 150
SLACK_SECTION = 3000
SLACK_BUTTON = 75
SLACK_BUTTONS = 25
SLACK_URL = 3000
SLACK_TEXT = 40000
HEADER_STYLES = ("blue", "red", "yellow")
BUTTON_STYLES = ("default", "primary", "danger")
ACTION_TYPES = ("submit_action", "call_modal", "open_inapp_browser", "open_system_browser", "open_external_app")
BROWSER_ACTIONS = ("open_inapp_browser", "open_system_browser")


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where} {what}")

    def text(self, obj: Mapping[str, Any], key: str, limit: int, where: str, *, required: bool = True) -> None:
        value = obj.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not value:
            self.add(f"{where}.{key}", "must be a non-empty string")
        elif units(value) > limit:
            self.add(f"{where}.{key}", f"has {units(value)} characters, at most {limit}")

    def url(self, obj: Mapping[str, Any], key: str, where: str, limit: int | None = None) -> None:
        value = obj.get(key)
        if not http_url(value):
            self.add(f"{where}.{key}", f"must be an absolute http(s) URL, got {_show(value)}")
        elif limit is not None and units(str(value)) > limit:
            self.add(f"{where}.{key}", f"has {units(str(value))} characters, at most {limit}")

    def choice(self, obj: Mapping[str, Any], key: str, allowed: Sequence[str], where: str) -> None:
        if obj.get(key) not in allowed:
            self.add(f"{where}.{key}", f"must be one of {', '.join(allowed)}, got {_show(obj.get(key))}")


def kakaowork_problems(payload: Any, max_blocks: int = KAKAOWORK_BLOCKS) -> list[str]:
    """What KakaoWork's ``messages.send`` would refuse in ``{"text", "blocks"}``."""
    check = _Problems()
    if not isinstance(payload, Mapping):
        return ["the payload must be an object"]
    check.text(payload, "text", KAKAOWORK_TEXT, "")
    blocks = payload.get("blocks", [])
    if not isinstance(blocks, list):
        return [*check.found, "blocks must be a list"]
    if len(blocks) > max_blocks:
        check.add("blocks", f"has {len(blocks)} blocks, at most {max_blocks}")
    for index, block in enumerate(blocks):
        _kakaowork_block(check, block, f"blocks[{index}]")
    return [problem.lstrip(".") for problem in check.found]


def _kakaowork_block(check: _Problems, block: Any, where: str) -> None:
    if not isinstance(block, Mapping):
        check.add(where, "must be an object")
        return
    kind = block.get("type")
    if kind == "header":
        check.text(block, "text", KAKAOWORK_HEADER, where)
        check.choice(block, "style", HEADER_STYLES, where)
    elif kind == "text":
        check.text(block, "text", KAKAOWORK_TEXT, where)
        if "markdown" in block and not isinstance(block["markdown"], bool):
            check.add(f"{where}.markdown", "must be true or false")
    elif kind == "button":
        _kakaowork_button(check, block, where)
    elif kind == "description":
        check.text(block, "term", KAKAOWORK_TERM, where)
        content = block.get("content")
        if not isinstance(content, Mapping) or content.get("type") != "text":
            check.add(f"{where}.content", "must be a text block")
        else:
            _kakaowork_block(check, content, f"{where}.content")
        if "accent" in block and not isinstance(block["accent"], bool):
            check.add(f"{where}.accent", "must be true or false")
    elif kind == "action":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= KAKAOWORK_BUTTONS:
            check.add(f"{where}.elements", f"must hold 1 to {KAKAOWORK_BUTTONS} buttons")
            return
        for index, element in enumerate(elements):
            inner = f"{where}.elements[{index}]"
            if not isinstance(element, Mapping) or element.get("type") != "button":
                check.add(inner, "must be a button")
            else:
                _kakaowork_button(check, element, inner)
    elif kind != "divider":
        check.add(f"{where}.type", f"{_show(kind)} is not a block khp sends")


def _kakaowork_button(check: _Problems, button: Mapping[str, Any], where: str) -> None:
    check.text(button, "text", KAKAOWORK_BUTTON, where)
    check.choice(button, "style", BUTTON_STYLES, where)
    action = button.get("action_type")
    check.choice(button, "action_type", ACTION_TYPES, where)
    if action in BROWSER_ACTIONS:
        check.url(button, "value", where, KAKAOWORK_VALUE)
        return
    if action == "submit_action":
        check.text(button, "action_name", KAKAOWORK_VALUE, where)
    check.text(button, "value", KAKAOWORK_VALUE, where)
    value = button.get("value")
    if isinstance(value, str) and utf8(value) > KAKAOWORK_VALUE:
        check.add(f"{where}.value", f"has {utf8(value)} bytes in UTF-8, at most {KAKAOWORK_VALUE}")


def kakaotalk_problems(payload: Any) -> list[str]:
    """What KakaoTalk's memo API would refuse in ``{"template_object": {...}}`` (a text template)."""
    template = payload.get("template_object") if isinstance(payload, Mapping) else None
    if not isinstance(template, Mapping):
        return ["template_object must be an object"]
    check = _Problems()
    where = "template_object"
    if template.get("object_type") != "text":
        check.add(f"{where}.object_type", f"must be 'text', got {_show(template.get('object_type'))}")
    check.text(template, "text", KAKAOTALK_TEXT, where)
    link = template.get("link")
    if not isinstance(link, Mapping):
        check.add(f"{where}.link", "must be an object")
    else:
        for key in link:
            check.url(link, key, f"{where}.link")
    check.text(template, "button_title", KAKAOTALK_BUTTON_TITLE, where, required=False)
    buttons = template.get("buttons", [])
    if not isinstance(buttons, list) or len(buttons) > 2:
        check.add(f"{where}.buttons", "must be a list of at most 2")
    return check.found


def slack_problems(payload: Any) -> list[str]:
    """What a Slack incoming webhook would refuse in ``{"text", "blocks"}``."""
    if not isinstance(payload, Mapping):
        return ["the payload must be an object"]
    check = _Problems()
    check.text(payload, "text", SLACK_TEXT, "payload")
    blocks = payload.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > SLACK_BLOCKS:
        return [*check.found, f"blocks must be a list of at most {SLACK_BLOCKS}"]
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "header":
            check.text(_inner(block, "text"), "text", SLACK_HEADER, f"{where}.text")
        elif kind == "section":
            check.text(_inner(block, "text"), "text", SLACK_SECTION, f"{where}.text")
        elif kind == "context":
            elements = block.get("elements") if isinstance(block, Mapping) else None
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                check.add(f"{where}.elements", "must hold 1 to 10 elements")
        elif kind == "actions":
            elements = block.get("elements") if isinstance(block, Mapping) else None
            if not isinstance(elements, list) or not 1 <= len(elements) <= SLACK_BUTTONS:
                check.add(f"{where}.elements", f"must hold 1 to {SLACK_BUTTONS} elements")
                continue
            for position, button in enumerate(elements):
                inner = f"{where}.elements[{position}]"
                check.text(_inner(button, "text"), "text", SLACK_BUTTON, f"{inner}.text")
                check.url(button if isinstance(button, Mapping) else {}, "url", inner, SLACK_URL)
        elif kind != "divider":
            check.add(f"{where}.type", f"{_show(kind)} is not a block khp sends")
    return check.found


def webhook_problems(payload: Any) -> list[str]:
    """The generic webhook takes any JSON; its links must still be absolute ``http(s)`` URLs."""
    if not isinstance(payload, Mapping):
        return ["the payload must be an object"]
    check = _Problems()
    for index, link in enumerate(payload.get("links") or []):
        check.url(link if isinstance(link, Mapping) else {}, "url", f"links[{index}]")
    for position, subject in enumerate(payload.get("subjects") or []):
        links = subject.get("links") if isinstance(subject, Mapping) else None
        for index, link in enumerate(links or []):
            check.url(link if isinstance(link, Mapping) else {}, "url", f"subjects[{position}].links[{index}]")
    return check.found


def _inner(obj: Any, key: str) -> Mapping[str, Any]:
    inner = obj.get(key) if isinstance(obj, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"
