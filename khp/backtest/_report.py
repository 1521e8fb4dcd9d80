"""What a backtest found: counts per check, cluster and severity, for the current and candidate settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from khp.configuration import format_duration, format_time

from ._notifications import GroupTimings
from ._overrides import Override, PendingOverride
from ._period import Period


@dataclass(frozen=True)
class Counts:
    """What became of the problems of a check on a cluster at a severity over the period."""

    detected: int = 0  # distinct occurrences (a problem that comes back is detected again)
    healed: int = 0  # gone before their pending time: never sent
    fired: int = 0  # lasted their pending time: alerts sent to Alertmanager
    resolved: int = 0  # fired, then gone
    pending_at_end: int = 0  # still pending at the end of the period
    firing_at_end: int = 0  # still firing at the end of the period
    problems_notified: int = 0  # fired problems (alerts) that were in a notification while firing
    notifications_sent: int = 0  # Alertmanager's estimated notifications (webhook calls), all kinds
    repeats: int = 0  # of which re-sent after repeat_interval with nothing new
    resolve_notifications: int = 0  # of which sent because everything resolved

    @classmethod
    def of(cls, tally: Mapping[str, int]) -> Counts:
        return cls(**{f.name: int(tally.get(f.name, 0)) for f in fields(cls)})

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Change:
    """A candidate threshold and the value it replaces."""

    override: Override
    was: float | None

    def __str__(self) -> str:
        was = "null" if self.was is None else f"{self.was:g}"
        return f"{self.override} (now {was})"

    def as_dict(self) -> dict[str, Any]:
        return {"set": str(self.override), **asdict(self.override), "was": self.was}


@dataclass(frozen=True)
class BacktestRow:
    """One check on one cluster at one severity: current counts and, with candidates, theirs."""

    check: str
    cluster: str
    severity: str
    monitor: str
    current: Counts
    candidate: Counts | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "cluster": self.cluster,
            "severity": self.severity,
            "monitor": self.monitor,
            "current": self.current.as_dict(),
            "candidate": self.candidate.as_dict() if self.candidate is not None else None,
        }


@dataclass(frozen=True)
class BacktestReport:
    """A backtest's answer. ``rows`` hold every check, cluster and severity with anything detected."""

    period: Period
    monitors: tuple[str, ...]
    clusters: tuple[str, ...] | None
    changes: tuple[Change, ...]
    pending: tuple[PendingOverride, ...]
    rows: tuple[BacktestRow, ...]
    current: Counts
    candidate: Counts | None
    failed: Mapping[str, int]  # monitor -> evaluation times it failed or timed out at (current side)
    timings: Mapping[str, GroupTimings]  # the notification timings used, per cluster in the rows
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    queries_asked: int = 0
    queries_run: int = 0

    @property
    def evaluations(self) -> int:
        return self.period.count

    def row(self, check: str, cluster: str, severity: str = "warning") -> BacktestRow | None:
        """The row of ``check`` on ``cluster`` at ``severity``, if anything was detected there."""
        for row in self.rows:
            if (row.check, row.cluster, row.severity) == (check, cluster, severity):
                return row
        return None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values: times as ISO-8601, durations in seconds."""
        return {
            "start": format_time(self.period.first),
            "end": format_time(self.period.last),
            "step": self.period.step,
            "evaluations": self.evaluations,
            "monitors": list(self.monitors),
            "clusters": list(self.clusters) if self.clusters is not None else None,
            "candidate": {
                "set": [change.as_dict() for change in self.changes],
                "pending": [{"check": p.check, "cluster": p.cluster, "seconds": p.seconds} for p in self.pending],
            }
            if self.candidate is not None
            else None,
            "rows": [row.as_dict() for row in self.rows],
            "total": {
                "current": self.current.as_dict(),
                "candidate": self.candidate.as_dict() if self.candidate is not None else None,
            },
            "failed": dict(self.failed),
            "timings": {name: asdict(timings) for name, timings in self.timings.items()},
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "queries": {"asked": self.queries_asked, "run": self.queries_run},
        }

    def describe_candidate(self) -> str:
        parts = [str(change) for change in self.changes]
        for pending in self.pending:
            seconds = format_duration(pending.seconds)
            if pending.cluster is not None:
                parts.append(f"pending of {pending.cluster} {seconds}")
            else:
                parts.append(
                    f"pending {seconds}" if pending.check is None else f"pending of {pending.check!r} {seconds}"
                )
        return ", ".join(parts)
