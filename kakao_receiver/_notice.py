"""The receiver's own messages about monitoring itself: "monitoring is blind" and "monitoring restored".

Each is message content for the channels, plus a webhook-shaped body so that its deliveries
are recorded in the history like any other (alertname ``Monitoring blind`` / ``Monitoring
restored``, monitor ``khp``). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from typing import Any

from khp.configuration import format_time

from ._content import MessageContent
from ._i18n import ZONES, human_clock, human_duration, phrase
from ._webhook import ZERO_TIME

BLIND = "Monitoring blind"
RESTORED = "Monitoring restored"


def notice_id(kind: str, since: float) -> str:
    """The delivery id of the blindness notice ``kind`` for the blindness since ``since``: one per blindness."""
    return hashlib.sha256(f"{kind}\n{since:.6f}".encode()).hexdigest()[:32]


def blind(since: float, language: str) -> tuple[MessageContent, dict[str, Any]]:
    """ "monitoring is blind since HH:MM (evaluator silent)": the last heartbeat was at ``since``."""
    clock = human_clock(since, language, ZONES[language])
    title = phrase(language, "blind.title", clock=clock)
    summary = phrase(language, "blind.summary")
    content = _content(notice_id("blind", since), language, "firing", title, summary)
    return content, _body(BLIND, "firing", title, since, None)


def restored(
    since: float, until: float, released: int, dropped: int, language: str
) -> tuple[MessageContent, dict[str, Any]]:
    """ "monitoring restored": blind from ``since``, heard again at ``until``; what became of the held resolutions."""
    clock = human_clock(since, language, ZONES[language])
    title = phrase(language, "restored.title", clock=clock, lasted=human_duration(until - since, language))
    summary = phrase(language, "restored.summary", released=released, dropped=dropped)
    content = _content(notice_id("restored", since), language, "resolved", title, summary)
    return content, _body(RESTORED, "resolved", title, since, until)


def _content(ident: str, language: str, status: str, title: str, summary: str) -> MessageContent:
    return MessageContent(
        notification_id=ident,
        language=language,
        status=status,
        severity="critical",
        cluster="",
        title=title,
        summary=summary,
        items=(),
        subjects=(),
        omitted=(),
        more="",
        truncated=0,
        truncated_note="",
        links=(),
        firing=1 if status == "firing" else 0,
        resolved=1 if status == "resolved" else 0,
    )


def _body(name: str, status: str, title: str, since: float, until: float | None) -> dict[str, Any]:
    """A webhook-shaped record of the notice, for the outbox and the history."""
    labels = {"alertname": name, "monitor": "khp", "service": "khp", "severity": "critical"}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "receiver": "khp-critical",
        "status": status,
        "externalURL": "",
        "groupLabels": {"alertname": name},
        "commonLabels": labels,
        "commonAnnotations": {"description": title},
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"description": title},
                "startsAt": format_time(since),
                "endsAt": ZERO_TIME if until is None else format_time(until),
                "generatorURL": "",
                "fingerprint": hashlib.sha256(name.encode()).hexdigest()[:16],
            }
        ],
    }
