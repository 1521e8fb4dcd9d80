"""Webhooks answered in the worker's event loop, their durable writes committed together.

Answered by a pool of threads, a webhook's few milliseconds of work were spread over many
hand-offs of Python's GIL: the event loop's thread reads it and wakes a request thread, which
gives the GIL up at each of its SQLite calls and then waits in line (``GroupCommit``) for the
thread writing the batch before it, which itself waits for the GIL at each of its statements
while the other threads run. Under load the hand-offs cost more CPU than the work, and the
thread holding the outbox file's lock (so also the other worker) waited for the others.

Here the event loop's thread runs each webhook itself, in a greenlet of its own, as soon as
its request is whole (``Loop.spawn``). When the webhook asks for its durable write, its
greenlet parks (``Loop.durable``) and the loop goes on reading and starting the others; after
each round of events the loop commits every parked write of the round in one transaction and
one fsync (``Loop.flush``), then resumes each parked webhook with its own outcome, and each
answers. Nothing is answered before its write is on disk, a write that raises gets its error
alone (``Outbox._commit_together``), and no thread hands anything to another.

Only views that never wait on the network run so (the paths the app names in
``app.extensions["khp_cooperative_paths"]``: the webhook). A greenlet switches only when it
parks, so a view must not park while it holds a lock another webhook could ask for (the outbox
refuses a durable write asked for inside another write, see ``Outbox._run``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from ._groupcommit import LIMIT, Batch, Write, write_together

T = TypeVar("T")
_here = threading.local()


class Loop:
    """The request greenlets of one thread (the worker's event loop) and their parked durable writes."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.batches = 0  # transactions committed or tried
        self.writes = 0  # writes they held
        self._main = getcurrent()
        self._parked: list[tuple[Any, Batch, Write[Any], greenlet]] = []
        _here.loop = self

    def spawn(self, function: Callable[..., object], *args: Any) -> None:
        """Run ``function(*args)`` in a greenlet of its own until it returns or parks (from the loop only)."""
        assert getcurrent() is self._main, "a request greenlet cannot start another"
        greenlet(function, parent=self._main).switch(*args)

    def inside(self) -> bool:
        """Whether this thread runs one of the loop's request greenlets now."""
        return getattr(_here, "loop", None) is self and getcurrent() is not self._main

    def durable(self, key: Any, operation: Callable[[Any], T], batch: Batch) -> T:
        """Park this request greenlet until the loop committed ``operation`` (with the others of ``key``)."""
        write: Write[T] = Write(operation, None)
        self._parked.append((key, batch, write, getcurrent()))
        self._main.switch()  # the loop resumes it after the commit (``flush``)
        if write.error is not None:
            raise write.error
        result: T = write.result
        return result

    @property
    def parked(self) -> int:
        """Request greenlets waiting for their commit."""
        return len(self._parked)

    def flush(self) -> None:
        """Commit the parked writes together (``limit`` to a transaction), then resume each greenlet.

        A resumed greenlet may park again (a webhook writing several messages): those are
        committed in the next turn, until none is parked.
        """
        assert getcurrent() is self._main, "only the loop commits"
        while self._parked:
            parked, self._parked = self._parked, []
            for key in dict.fromkeys(each[0] for each in parked):
                writes = [(batch, write) for k, batch, write, _ in parked if k == key]
                for start in range(0, len(writes), self.limit):
                    self._commit(writes[start : start + self.limit])
            for _key, _batch, _write, waiting in parked:
                waiting.switch()

    def _commit(self, writes: Sequence[tuple[Batch, Write[Any]]]) -> None:
        batch, together = writes[0][0], [write for _, write in writes]
        self.batches += 1
        self.writes += len(together)
        write_together(batch, together)
        for write in together:
            write.done = True


def current() -> Loop | None:
    """The loop whose request greenlet runs now in this thread, or ``None`` (a thread of its own)."""
    loop: Loop | None = getattr(_here, "loop", None)
    return loop if loop is not None and loop.inside() else None
