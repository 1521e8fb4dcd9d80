"""The custom-duration modal a ``call_modal`` button opens, in KakaoWork's modal Block Kit; pure.

KakaoWork shows ``{"view": {title, accept, decline, value, blocks}}`` and, on accept, POSTs a
``submission`` carrying ``value`` and ``actions``: each input's ``name`` and what was chosen.
Modal blocks: ``label`` {text <= 200, markdown}, ``select`` {name, options <= 30 of {text, value},
required, placeholder <= 50}, ``input`` {name, required, placeholder <= 50}.
"""

from __future__ import annotations

from typing import Any

from khp.configuration import format_duration

from .._i18n import human_duration
from ._callback import Callback
from ._phrases import say

LABEL_LIMIT = 200
PLACEHOLDER_LIMIT = 50
OPTIONS_LIMIT = 30
DURATIONS = (1800, 3600, 7200, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400)


def modal_view(callback: Callback, language: str, longest: float) -> dict[str, Any]:
    """The answer to ``request_modal``: what to do (off, cri, maintenance), for how long, and why.

    ``longest`` (seconds) leaves out durations no silence may have; the view's ``value`` is the
    button's, so the submission says which check and cluster it is about.
    """
    subject = f"{callback.check} · {callback.cluster}" if callback.check else callback.cluster
    choices = ["off", "cri", "maintenance"] if callback.check else ["maintenance"]
    durations = [seconds for seconds in DURATIONS if seconds <= longest] or [min(DURATIONS)]
    blocks = [
        _label(subject),
        _label(say(language, "modal.what")),
        _select("what", [(say(language, f"what.{what}"), what) for what in choices], say(language, "modal.what")),
        _label(say(language, "modal.duration")),
        _select(
            "duration",
            [(human_duration(s, language), format_duration(s)) for s in durations],
            say(language, "modal.duration"),
        ),
        _label(say(language, "modal.reason")),
        {
            "type": "input",
            "name": "reason",
            "required": False,
            "placeholder": _short(say(language, "modal.reason.placeholder"), PLACEHOLDER_LIMIT),
        },
    ]
    return _view(language, callback.raw_value, blocks)


def notice_view(language: str, value: str, text: str) -> dict[str, Any]:
    """A modal that only says ``text`` (a refusal, an unreadable button)."""
    return _view(language, value, [_label(text)])


def _view(language: str, value: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "view": {
            "title": say(language, "modal.title"),
            "accept": say(language, "modal.accept"),
            "decline": say(language, "modal.decline"),
            "value": value,
            "blocks": blocks,
        }
    }


def _label(text: str) -> dict[str, Any]:
    return {"type": "label", "text": _short(text, LABEL_LIMIT), "markdown": False}


def _select(name: str, options: list[tuple[str, str]], placeholder: str) -> dict[str, Any]:
    return {
        "type": "select",
        "name": name,
        "options": [{"text": text, "value": value} for text, value in options[:OPTIONS_LIMIT]],
        "required": True,
        "placeholder": _short(placeholder, PLACEHOLDER_LIMIT),
    }


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
