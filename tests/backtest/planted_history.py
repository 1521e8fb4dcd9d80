"""Eight hours of two Druid clusters with known bursts and lasting faults: the metrics and the alert history.

Every minute a value; a fault holds its values for its minutes. Warning thresholds: segment
cache above 85 %, pending tasks above 20, unavailable segments above 0 (pending time 5 minutes).

* Segment cache usage: eight 7-minute spikes at 86, 86.5 ... 89.5 %, on druid-002 and druid-005
  in turn; one lasting fault, 45 minutes at 94 % on druid-002. Bursts (pending 7m), and a band:
  a warning of 89 leaves seven of the eight spikes below it and the fault above.
* Pending tasks: six 7-minute spikes at 21 ... 26, on both clusters in turn; one lasting fault of
  an hour on druid-002 that is mostly at 22 and at 40 only at its first, sixth and last minute, the
  minutes whose values the history records. The history shows a band (a warning of 25); the
  backtest finds that it would lose the fault.
* Unavailable segments: six 7-minute spikes and a 40-minute fault, all on druid-002 and all of
  value 1 (as every BACKOFF process counts 1): no threshold separates them; the cluster's
  pending time of 7m does.

``history`` records what the bridge would: detected at the first minute, fired 5 minutes later,
resolved at the first minute without it, the values of those minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from khp.configuration import Config
from khp.history import HistoryEvent, open_history
from khp.records import MetricRow
from khp.store import Store

from .helpers import START

UNTIL = START + 8 * 3600
CACHE = "Segment cache usage"
PENDING_TASKS = "Pending tasks"
SEGMENTS = "Unavailable segments"
PATHS = {
    CACHE: "druid/historical/segment.usedPercent",
    PENDING_TASKS: "druid/overlord/task.pending.count",
    SEGMENTS: "druid/coordinator/segment.unavailable.count",
}
THRESHOLDS = {CACHE: 85.0, PENDING_TASKS: 20.0, SEGMENTS: 0.0}
BASE = {CACHE: 50.0, PENDING_TASKS: 0.0, SEGMENTS: 0.0}
CLUSTERS = ("druid-002", "druid-005")


@dataclass(frozen=True)
class Fault:
    """``check``'s metric on ``cluster`` takes ``values``, one a minute, from ``minute`` after ``START``."""

    check: str
    cluster: str
    minute: int
    values: tuple[float, ...]

    @property
    def start(self) -> float:
        return START + self.minute * 60

    @property
    def end(self) -> float:
        return self.start + len(self.values) * 60

    @property
    def host(self) -> str:
        return f"{self.cluster}-historical1" if self.check == CACHE else ""


SHORT = [
    *(Fault(CACHE, CLUSTERS[k % 2], 20 + 40 * k, (86.0 + k / 2,) * 7) for k in range(8)),
    *(Fault(PENDING_TASKS, CLUSTERS[k % 2], 30 + 40 * k, (21.0 + k,) * 7) for k in range(6)),
    *(Fault(SEGMENTS, "druid-002", 25 + 40 * k, (1.0,) * 7) for k in range(6)),
]
LASTING = [
    Fault(CACHE, "druid-002", 360, (94.0,) * 45),
    Fault(PENDING_TASKS, "druid-002", 330, tuple(40.0 if m in (0, 5, 59) else 22.0 for m in range(60))),
    Fault(SEGMENTS, "druid-002", 410, (1.0,) * 40),
]
FAULTS = SHORT + LASTING


def events() -> list[HistoryEvent]:
    """Each fault's alert as the bridge records it (all of them fire: 7 minutes outlast the pending time)."""
    found: list[HistoryEvent] = []
    for fault in FAULTS:
        labels = {
            "alertname": fault.check,
            "monitor": "DruidMonitor",
            "cluster": fault.cluster,
            "host": fault.host,
            "severity": "warning",
        }
        threshold = THRESHOLDS[fault.check]
        values = fault.values
        found.append(HistoryEvent.for_labels(fault.start, "detected", labels, value=values[0], threshold=threshold))
        found.append(HistoryEvent.for_labels(fault.start + 300, "fired", labels, value=values[5], threshold=threshold))
        found.append(HistoryEvent.for_labels(fault.end, "resolved", labels, value=values[-1], threshold=threshold))
    return found


def plant(config: Config) -> None:
    """The history into the configured (embedded) history, the metrics (every minute) into the store."""
    with open_history(config) as history:
        history.record(events())
    series: dict[tuple[str, str], dict[float, float]] = {}
    for check in PATHS:
        for cluster in CLUSTERS:
            t = START - config.evaluation.window
            own = series[(check, cluster)] = {}
            while t <= UNTIL:
                own[t] = BASE[check]
                t += 60.0
    for fault in FAULTS:
        for minute, value in enumerate(fault.values):
            series[(fault.check, fault.cluster)][fault.start + minute * 60] = value
    rows = []
    for (check, cluster), values in series.items():
        service, role, name = PATHS[check].split("/", 2)
        host = f"{cluster}-{role}1"
        rows += [MetricRow(t, cluster, host, service, role, name, value) for t, value in values.items()]
    store = Store(config.store.path)
    try:
        store.write_metrics(rows)
    finally:
        store.close()
