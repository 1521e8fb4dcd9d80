"""The cyclic garbage collector, paused while a cycle runs.

A cycle over 1,000 clusters builds about a million short-lived objects (answers, elements,
problems) that hold no reference cycles: reference counting frees them, and the cyclic
collector can only walk them again and again. Its full collections grow with the fleet and
made the cycle's time grow faster than the fleet (13x the time for 10x the fleet, a third of
it in the collector). Paused during a cycle and resumed after it, the collector catches up at
its next allocation threshold; whatever cyclic garbage a cycle leaves waits until then.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # cycles running now (backtests run several at once)
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection until the last overlapping cycle ends."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
