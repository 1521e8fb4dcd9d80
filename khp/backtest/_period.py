"""The evaluation times of a backtest, produced one at a time (a week at 1m is 10,080 of them)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from khp.configuration import format_duration, format_time

from ._errors import BacktestError


@dataclass(frozen=True)
class Period:
    """Every ``step`` seconds from ``start`` to ``end`` (both included), on the grid of ``step``.

    Times sit on multiples of the step (``12:00, 12:01``... for ``1m``), so the same period
    asked at a slightly different moment evaluates the same times.
    """

    start: float
    end: float
    step: float

    def __post_init__(self) -> None:
        if not (self.step > 0 and math.isfinite(self.step)):
            raise BacktestError(f"the step is a positive duration, got {self.step!r}")
        if not self.start < self.end:
            raise BacktestError(
                f"the period ends ({format_time(self.end)}) before it starts ({format_time(self.start)})"
            )
        if self.count == 0:
            raise BacktestError(
                f"no evaluation time on the {format_duration(self.step)} grid between"
                f" {format_time(self.start)} and {format_time(self.end)}; use a smaller --step"
            )

    @property
    def first(self) -> float:
        return math.ceil(self.start / self.step - 1e-9) * self.step

    @property
    def count(self) -> int:
        """How many evaluation times."""
        return max(0, math.floor((self.end - self.first) / self.step + 1e-9) + 1)

    @property
    def last(self) -> float:
        return self.first + (self.count - 1) * self.step

    def __iter__(self) -> Iterator[float]:
        first, step = self.first, self.step
        for index in range(self.count):
            yield first + index * step

    def __str__(self) -> str:
        return f"{format_time(self.first)} .. {format_time(self.last)} every {format_duration(self.step)}"
