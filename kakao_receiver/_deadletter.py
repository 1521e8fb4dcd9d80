"""Dead letters are loud: a notice goes to the notification's other rooms, preferably on another channel.

``DeadLetterNotices`` is the courier's ``on_dead`` hook. For a message that its room refused in
every form, it composes a short notice (what was not delivered, where, and why) and queues it
in the outbox for every other room of the same notification on another channel (failing that,
for the other rooms of the same channel). Notices have no history events of their own.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping

from ._channel import Channel, Room
from ._content import Links, MessageContent, compose
from ._forms import fit
from ._outbox import Delivery, Outbox
from ._webhook import parse_webhook
from .channels._text import shorten

log = logging.getLogger(__name__)

_PHRASES = {
    "ko": (
        "[전달 실패] {room}: {title}",
        "이 메시지를 {room}에 보내지 못했습니다: {error}. 확인: khp outbox list --state dead",
    ),
    "en": (
        "[NOT DELIVERED] {room}: {title}",
        "This message could not be delivered to {room}: {error}. See: khp outbox list --state dead",
    ),
}


@dataclasses.dataclass
class DeadLetterNotices:
    """Queues a notice of each dead letter for the other rooms of its notification."""

    outbox: Outbox
    channels: Mapping[str, Channel]
    language: str
    links: Links
    max_alerts: int = 10
    clock: Callable[[], float] = time.time

    def __call__(self, delivery: Delivery, error: str) -> None:
        stored = self.outbox.body(delivery.notification)
        if stored is None:
            return
        receiver, body = stored
        dead = Room.parse(delivery.room)
        rooms = [Room.parse(room) for room in self.outbox.rooms(delivery.notification) if room != delivery.room]
        others = [room for room in rooms if room.channel != dead.channel] or rooms
        others = [room for room in others if room.channel in self.channels]
        if not others:
            log.error(
                "dead letter %d: notification %s has no other room to tell", delivery.rowid, delivery.notification
            )
            return
        notice = self.notice(json.loads(body), dead, error)
        for room in others:
            channel = self.channels[room.channel]
            payload, _ = fit(channel, channel.render(notice))
            if self.outbox.add_notice(
                f"{delivery.notification}~dead~{delivery.rowid}", receiver, body, str(room), payload
            ):
                log.warning("dead letter %d: a notice goes to %s", delivery.rowid, room)

    def notice(self, body: object, room: Room, error: str) -> MessageContent:
        """The notification's message cut down to a title and a line that says it was not delivered, and why."""
        content = compose(parse_webhook(body), self.language, self.links, max_alerts=self.max_alerts, now=self.clock())
        title, line = _PHRASES.get(self.language, _PHRASES["en"])
        return dataclasses.replace(
            content,
            title=title.format(room=room, title=content.title),
            summary=line.format(room=room, error=shorten(error, 200)),
            items=(),
            subjects=(),
            omitted=(),
            more="",
            truncated=0,
            truncated_note="",
        )
