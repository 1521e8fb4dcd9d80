"""Lasting faults: what a tuning change must never lose.

A replay records every alert that fired as a ``Span`` (detected, fired, resolved or still
firing at the end). A *lasting fault* is a span of the current settings that lasted at least
``hints.lasting`` from detection to resolution (or to the end of the period). A candidate
*keeps* it when it fires the same alert (check, monitor, cluster, host, severity) at some time
within it; the delay is how much later the candidate's alert fired.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from khp.configuration import format_duration, format_time

Key = tuple[str, str, "str | None", "str | None", str]  # Problem.key: check, monitor, cluster, host, severity


@dataclass(frozen=True)
class Span:
    """One alert from its detection to its resolution (``ended`` None: firing at the end), having fired at ``fired``."""

    key: Key
    detected: float
    fired: float
    ended: float | None = None

    @property
    def check(self) -> str:
        return self.key[0]

    @property
    def cluster(self) -> str:
        return self.key[2] or ""

    @property
    def severity(self) -> str:
        return self.key[4]

    def lasted(self, end: float) -> float:
        """From detection to resolution, or to ``end`` while it still fires."""
        return (self.ended if self.ended is not None else end) - self.detected

    def overlaps(self, other: Span) -> bool:
        ends = self.ended if self.ended is not None else float("inf")
        other_ends = other.ended if other.ended is not None else float("inf")
        return other.detected < ends and self.detected < other_ends

    def describe(self, end: float) -> str:
        """``CPU usage warning on hdp-001 hdp-001-h1 from 2026-11-23T03:00:00Z for 3h``."""
        where = " ".join(part for part in (self.key[2], self.key[3]) if part)
        lasted = format_duration(self.lasted(end)) + (" (firing at the end)" if self.ended is None else "")
        return f"{self.check} {self.severity} on {where or 'the fleet'} from {format_time(self.detected)} for {lasted}"

    def as_dict(self, end: float) -> dict[str, Any]:
        check, monitor, cluster, host, severity = self.key
        return {
            "check": check,
            "monitor": monitor,
            "cluster": cluster or "",
            "host": host or "",
            "severity": severity,
            "detected": format_time(self.detected),
            "fired": format_time(self.fired),
            "ended": format_time(self.ended) if self.ended is not None else None,
            "lasted": self.lasted(end),
        }


@dataclass(frozen=True)
class Kept:
    """Of the lasting faults before (current settings), how many a candidate still fires, and how much later."""

    before: int
    after: int
    lost: tuple[Span, ...] = ()
    delay: float = 0.0  # the longest a kept fault fired later than it does now
    end: float = 0.0  # the end of the period (for faults still firing then)

    def __add__(self, other: Kept) -> Kept:
        return Kept(
            self.before + other.before,
            self.after + other.after,
            self.lost + other.lost,
            max(self.delay, other.delay),
            max(self.end, other.end),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "lost": [span.as_dict(self.end) for span in self.lost],
            "delay": self.delay,
        }


def lasting(spans: Iterable[Span], at_least: float, end: float) -> list[Span]:
    """The spans that lasted ``at_least`` seconds (by ``end`` for those still firing)."""
    return [span for span in spans if span.lasted(end) >= at_least]


def kept(faults: Sequence[Span], candidate: Iterable[Span], end: float, where: Callable[[Span], bool]) -> Kept:
    """Which of the lasting ``faults`` that ``where`` selects the ``candidate`` spans still fire, and the delay."""
    chosen = [fault for fault in faults if where(fault)]
    by_key: dict[Key, list[Span]] = defaultdict(list)
    for span in candidate:
        by_key[span.key].append(span)
    lost: list[Span] = []
    delay = 0.0
    for fault in chosen:
        matches = [span for span in by_key.get(fault.key, ()) if span.overlaps(fault)]
        if not matches:
            lost.append(fault)
            continue
        delay = max(delay, min(span.fired for span in matches) - fault.fired)
    return Kept(len(chosen), len(chosen) - len(lost), tuple(lost), delay, end)
