"""Durable writes of one process's threads, committed together: one transaction, one fsync.

Each webhook commits its rows with ``synchronous=FULL`` before it is answered. Committed one
by one, the threads of a process queue for the file (``writer``), and each holds SQLite's
lock through a whole transaction, its fsync, and every wait for Python's GIL between its
statements, while the other process polls for the lock. Under load most of a webhook's time
went to that queue. Here the threads that want a durable write at the same time line up
(``run``); the first in line (the leader) runs all the writes waiting behind it, up to
``limit``, in one transaction and one commit to disk, then hands each its result. A thread
that arrives meanwhile waits for the next round and may lead it. Nothing is answered before
its write is on disk, as before; a write that raises is rolled back with its batch, and the
others of the batch are then written one by one, so that each gets its own outcome.

The pattern is the write queue of LevelDB's ``DBImpl::Write``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
LIMIT = 32  # writes in one transaction at most


class Write(Generic[T]):
    """One thread's write, waiting in line: its operation, then its result or error."""

    def __init__(self, operation: Callable[[Any], T], turn: threading.Condition | None) -> None:
        self.operation = operation
        self.turn = turn
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


Batch = Callable[[Sequence[Write[Any]]], None]
"""Runs the writes together and sets each one's ``result`` or ``error``; raises if none was written."""


class GroupCommit:
    """The line of durable writes of one process to one file."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.batches = 0  # transactions committed or tried
        self.writes = 0  # writes they held
        self._mutex = threading.Lock()
        self._line: deque[Write[Any]] = deque()

    @property
    def waiting(self) -> int:
        """Writes in line now, the batch being written included."""
        with self._mutex:
            return len(self._line)

    def run(self, operation: Callable[[Any], T], batch: Batch) -> T:
        """Queue ``operation``; when it is this thread's turn to lead, run its batch with ``batch``."""
        write: Write[T] = Write(operation, threading.Condition(self._mutex))
        with self._mutex:
            self._line.append(write)
            while not write.done and self._line[0] is not write:
                assert write.turn is not None
                write.turn.wait()
            if write.done:
                return _outcome(write)
            writes = [self._line[index] for index in range(min(self.limit, len(self._line)))]
            self.batches += 1
            self.writes += len(writes)
        try:
            write_together(batch, writes)
        finally:
            with self._mutex:
                for each in writes:
                    self._line.popleft()
                    each.done = True
                    _notify(each)
                if self._line:
                    _notify(self._line[0])  # the next in line leads the next batch
        return _outcome(write)


def write_together(batch: Batch, writes: Sequence[Write[Any]]) -> None:
    """``batch(writes)``; if it raises, nothing of the batch was written: each write gets the error."""
    try:
        batch(writes)
    except BaseException as exc:
        for write in writes:
            write.error, write.result = exc, None


def _notify(write: Write[Any]) -> None:
    if write.turn is not None:
        write.turn.notify()


def _outcome(write: Write[T]) -> T:
    if write.error is not None:
        raise write.error
    result: T = write.result
    return result
