"""A tuning hint: a noisy check, the change suggested for it, and what the backtest says the change does."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from khp.configuration import format_duration, format_time

from ._faults import Kept
from ._overrides import Override, PendingOverride
from ._period import Period
from ._report import Counts

BURSTS = "bursts"  # most fired alerts were short: a longer pending time
BAND = "band"  # the short ones' values sit in a band below the lasting ones': a threshold


@dataclass(frozen=True)
class Hint:
    """A noisy check, the change suggested for it and, once backtested, what that change does.

    ``checks`` are the checks the change acts on (empty: every check of ``cluster``, for a
    cluster's pending time); ``cluster`` is the cluster whose override it is (None: fleet-wide).
    """

    reason: str  # BURSTS | BAND
    check: str  # the noisy check
    monitor: str
    cluster: str | None
    severity: str | None  # the level a threshold hint changes
    fired: int  # fired alerts of the check (in its cluster, for a cluster's hint), from the history
    short: int  # of which lasted half of hints.lasting or less
    lasting: int  # of which lasted hints.lasting or more
    why: str
    change: Override | None = None
    pending: PendingOverride | None = None
    was: float | None = None  # the threshold or pending time it replaces
    checks: tuple[str, ...] = ()
    before: Counts | None = None  # what the current settings do, in what the change acts on
    after: Counts | None = None  # and what the change does there
    kept: Kept | None = None
    rejected: str = ""  # why the backtest rejects it ("" when it is suggested, or not backtested)

    @property
    def backtested(self) -> bool:
        return self.kept is not None

    @property
    def suggested(self) -> bool:
        """Backtested, and it keeps every lasting fault and saves notifications."""
        return self.backtested and not self.rejected

    @property
    def suggestion(self) -> str:
        """The change as people read it: ``kudu-004:host_cpu_percent.warning: 90 -> 93``."""
        if self.change is not None:
            where = f"{self.change.cluster}:" if self.change.cluster else ""
            was = "null" if self.was is None else f"{self.was:g}"
            return f"{where}{self.change.key}.{self.change.level}: {was} -> {_number(self.change.value)}"
        assert self.pending is not None
        was = "?" if self.was is None else format_duration(self.was)
        seconds = format_duration(self.pending.seconds)
        if self.pending.cluster is not None:
            return f"pending of {self.pending.cluster} (its cluster file): {was} -> {seconds}"
        return f"pending of {self.check!r}: {was} -> {seconds}"

    @property
    def option(self) -> str:
        """The ``khp backtest`` option that tries it: ``--set ...`` or ``--pending ...``."""
        if self.change is not None:
            return f"--set {_quoted(str(self.change))}"
        assert self.pending is not None
        return f"--pending {_quoted(str(self.pending))}"

    @property
    def saved(self) -> int:
        """Notifications sent that the change saves (0 before it is backtested)."""
        if self.before is None or self.after is None:
            return 0
        return self.before.notifications_sent - self.after.notifications_sent

    def covers(self, check: str, cluster: str) -> bool:
        """Does the change act on ``check`` on ``cluster``?"""
        if self.cluster is not None and cluster != self.cluster:
            return False
        return not self.checks or check in self.checks

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "check": self.check,
            "monitor": self.monitor,
            "cluster": self.cluster,
            "severity": self.severity,
            "checks": list(self.checks),
            "fired": self.fired,
            "short": self.short,
            "lasting": self.lasting,
            "why": self.why,
            "suggestion": self.suggestion,
            "option": self.option,
            "set": str(self.change) if self.change is not None else None,
            "pending": str(self.pending) if self.pending is not None else None,
            "was": self.was,
            "before": self.before.as_dict() if self.before is not None else None,
            "after": self.after.as_dict() if self.after is not None else None,
            "kept": self.kept.as_dict() if self.kept is not None else None,
            "status": "rejected" if self.rejected else "suggested" if self.backtested else "not backtested",
            "rejected": self.rejected or None,
        }


@dataclass(frozen=True)
class Together:
    """The suggestions that act on different checks and clusters, their backtested effects added up.

    Changes that act on different (check, cluster) pairs do not touch each other's alerts,
    notification groups or inhibitions, so the sum is what they do together.
    """

    hints: tuple[Hint, ...]
    before: Counts
    after: Counts
    kept: Kept

    @property
    def cut(self) -> float | None:
        """The share of the notifications sent that the suggestions save."""
        sent = self.before.notifications_sent
        return (sent - self.after.notifications_sent) / sent if sent else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "suggestions": [hint.suggestion for hint in self.hints],
            "options": [hint.option for hint in self.hints],
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "cut": round(self.cut, 4) if self.cut is not None else None,
            "kept": self.kept.as_dict(),
        }


@dataclass(frozen=True)
class HintsReport:
    since: float
    until: float
    cluster: str | None
    events: int
    lasting: float  # hints.lasting
    hints: tuple[Hint, ...]
    period: Period | None = None  # the backtest's, when the hints were backtested
    together: Together | None = None
    seconds: float = 0.0
    monitors: tuple[str, ...] = field(default=())  # the monitors the backtests ran

    def as_json(self) -> dict[str, Any]:
        return {
            "since": format_time(self.since),
            "until": format_time(self.until),
            "cluster": self.cluster,
            "events": self.events,
            "lasting": self.lasting,
            "backtest": {
                "start": format_time(self.period.first),
                "end": format_time(self.period.last),
                "step": self.period.step,
                "evaluations": self.period.count,
                "monitors": list(self.monitors),
            }
            if self.period is not None
            else None,
            "hints": [hint.as_dict() for hint in self.hints],
            "together": self.together.as_dict() if self.together is not None else None,
            "seconds": round(self.seconds, 3),
        }


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:g}"


def _quoted(text: str) -> str:
    return shlex.quote(text)
