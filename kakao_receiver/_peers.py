"""How many connections each gunicorn worker of one receiver holds, in memory the workers share.

The kernel hands a new connection to whichever worker wakes first, and a client keeps its
connection: 16 connections often split 13 to 3 between two workers, and the busier one answers
each request four times slower. With this table a worker leaves a new connection to a peer that
holds fewer (``ReceiverWorker``), so the workers share the clients evenly.

The table is created when this module is imported, in the gunicorn master (which loads the
worker class before it forks), so every worker forked from that master sees the same memory;
a process that imports it on its own gets a table of its own. A slot belongs to a live process:
one killed without leaving is skipped, and its slot is taken again by the next to join.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os

SLOTS = 256  # workers alive at once under one master, at most


class Peers:
    """Slot ``i`` holds a worker's pid and its open connections."""

    def __init__(self, slots: int = SLOTS) -> None:
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * 2 * 8)  # anonymous and shared: forked workers see one table
        self._table = memoryview(self._memory).cast("q")
        self._joining = multiprocessing.get_context("fork").Lock()

    def join(self, pid: int) -> int | None:
        """Take a slot for ``pid`` (its connections: 0); ``None`` when all are held by live processes."""
        with self._joining:
            for slot in range(self.slots):
                holder = self._table[2 * slot]
                if holder in (0, pid) or not _alive(holder):
                    self._table[2 * slot + 1] = 0
                    self._table[2 * slot] = pid
                    return slot
        return None

    def leave(self, slot: int) -> None:
        self._table[2 * slot + 1] = 0
        self._table[2 * slot] = 0

    def hold(self, slot: int, connections: int) -> None:
        """``slot``'s worker holds ``connections`` now."""
        self._table[2 * slot + 1] = connections

    def fewest(self, slot: int) -> int | None:
        """The fewest connections any other live worker holds; ``None`` when there is none."""
        fewest = None
        for other in range(self.slots):
            pid = self._table[2 * other]
            if other == slot or pid == 0:
                continue
            held = self._table[2 * other + 1]
            if (fewest is None or held < fewest) and _alive(pid):
                fewest = held
        return fewest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's: a pid reused since
        return True
    return True
