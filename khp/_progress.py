"""Progress of a long command on standard error: redrawn in place on a terminal, lines in a file.

A terminal shows one line that ``\\r`` redraws; a log file or a pipe gets a whole line at every
tenth of the work (and at the end), never a carriage return.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from khp.configuration import format_duration


class ProgressLines:
    """``progress(done, total)``: ``label 40% (4,032 of 10,080 steps, 1m30s elapsed, ~2m15s left)``."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        unit: str = "steps",
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.unit = unit
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.clock = clock
        self.began = clock()
        self._drawn = -1.0
        self._tenths = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        finished = done >= total
        if self.terminal:
            if not finished and now - self._drawn < 0.2:
                return  # a redraw per step would cost more than the step
            self._drawn = now
            self.stream.write(f"\r{self._line(done, total, now)} " + ("\n" if finished else ""))
        else:
            tenths = 10 if finished else done * 10 // max(total, 1)
            if tenths <= self._tenths:
                return
            self._tenths = tenths
            self.stream.write(self._line(done, total, now) + "\n")
        self.stream.flush()

    def _line(self, done: int, total: int, now: float) -> str:
        share = done / total if total else 1.0
        elapsed = now - self.began
        left = elapsed / done * (total - done) if done else 0.0
        timing = f"{format_duration(elapsed)} elapsed" + (f", ~{format_duration(left)} left" if done < total else "")
        return f"{self.label} {share:4.0%} ({done:,} of {total:,} {self.unit}, {timing})"
