"""The channel plugin contract: render a message for a room, send it; failures say whether to retry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryError(Exception):
    """A message did not reach its room.

    ``retry_after`` is the channel's rate-limit hint in seconds (``Retry-After``), ``permanent``
    says that retrying the same request cannot help (bad room id, bad credentials, payload
    rejected), and ``rejected`` that the service refused this payload itself (a limit, a bad
    link): a simpler form of the message may still go through.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, permanent: bool = False, rejected: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent or rejected
        self.rejected = rejected


@dataclass(frozen=True)
class Room:
    """A chat room: the channel plugin's name and its target there (``kakaowork:12345``)."""

    channel: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Room:
        channel, sep, target = text.partition(":")
        if not sep or not channel or not target:
            raise ValueError(f"{text!r} is not a room; write 'channel:target', e.g. 'kakaowork:12345'")
        return cls(channel, target)

    def __str__(self) -> str:
        return f"{self.channel}:{self.target}"


class Channel(Protocol):
    """A chat channel plugin (entry point group ``khp.channels``).

    ``render`` is pure: it turns composed message content into this channel's JSON-able
    payload (stored in the outbox). ``send`` delivers one payload to one target and raises
    ``DeliveryError`` when it did not arrive.

    Two more methods are optional (the receiver uses them when present, ``_forms.fit``):
    ``problems(payload) -> list[str]`` says what the service would refuse before it is sent,
    and ``simpler(payload, problems) -> payload | None`` gives the next simpler form of a
    message the service refused (``None``: there is none). A plugin without them sends its
    payloads as they are, and a refused one becomes a dead letter at once.
    """

    name: str

    def render(self, content: Any) -> Mapping[str, Any]: ...

    def send(self, target: str, payload: Mapping[str, Any]) -> None: ...
