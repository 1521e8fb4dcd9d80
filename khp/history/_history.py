"""The history store's contract: record events, read them back by time."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence

from ._event import HistoryEvent


class History(ABC):
    """Every problem transition and notification, kept for statistics and post-mortems.

    ``record`` never loses an event: a backend that cannot take it now keeps it in a durable
    spool and replays it, in order, on the next ``record`` or ``flush`` (and at the next start).
    The same event recorded twice is stored once (``HistoryEvent.identity``).
    """

    @abstractmethod
    def record(self, events: Sequence[HistoryEvent]) -> None:
        """Keep ``events``; raises ``HistoryError`` only if they could not even be spooled."""

    @abstractmethod
    def events(
        self, since: float, until: float, cluster: str | None = None, kinds: Collection[str] | None = None
    ) -> list[HistoryEvent]:
        """The events with ``since <= time < until`` (of ``cluster``, of ``kinds``), sorted by ``order()``."""

    @abstractmethod
    def flush(self) -> None:
        """Send what is waiting in the spool, if the backend has one."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release files and connections."""

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
