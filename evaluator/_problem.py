"""Problems: what a monitor emits and what the rest of the pipeline carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES = ("warning", "critical")

NO_DATA = "No data"  # a firing problem's element had no data for evaluation.nodata_hold (raised by the bridge)
DATA_STALE = "Data stale"  # a source sent nothing new for a cluster for evaluation.stale_after
HEARTBEAT = "Heartbeat"  # the alert the bridge always sends, so that silence means the evaluator stopped
RESERVED_CHECKS = frozenset({NO_DATA, DATA_STALE, HEARTBEAT})

MONITOR_FAILED = "Monitor failed"
MONITOR_TIMED_OUT = "Monitor timed out"
SOURCE_UNAVAILABLE = "Source unavailable"
FAILURE_CHECKS = frozenset({MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE})


@dataclass(frozen=True)
class Problem:
    """One problem of one check on one cluster (and host) at one severity."""

    check: str
    monitor: str
    cluster: str | None
    host: str | None
    severity: str
    value: float | None
    compare: str | None
    threshold: float | None
    description: str
    source: str
    service: str = ""
    pending: float | None = None
    action: str = ""  # what an operator does first (the ``action`` annotation)

    @property
    def key(self) -> tuple[str, str, str | None, str | None, str]:
        """What identifies a problem from one cycle to the next."""
        return (self.check, self.monitor, self.cluster, self.host, self.severity)

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready fields (what ``khp check --json`` prints), without service and pending."""
        return {
            "check": self.check,
            "monitor": self.monitor,
            "cluster": self.cluster,
            "host": self.host,
            "severity": self.severity,
            "value": self.value,
            "compare": self.compare,
            "threshold": self.threshold,
            "description": self.description,
            "source": self.source,
        }

    def summary(self) -> str:
        """One line for a terminal."""
        where = self.cluster or "-"
        if self.host:
            where += f"/{self.host}"
        if self.compare is not None:
            measure = f"{_number(self.value)} {self.compare} {_number(self.threshold)}"
        elif self.value is not None:
            measure = _number(self.value)
        else:
            measure = ""
        return f"{self.severity.upper():8} {where:28} {self.check}: {measure}  {self.description}".rstrip()


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"
