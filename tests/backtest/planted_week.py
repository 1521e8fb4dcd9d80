"""A week of a small fleet with known lasting faults and known bursts: metrics in the store, and the history.

Three clusters of two hosts, watched by the bundled HostMonitor (copied into the project).
Every metric has a sample every 5 minutes; a fault replaces a host's samples from its start
for as many samples as it has values, so a fault of ``n`` values is present for ``n * 5``
minutes. Planted, on top of quiet baselines (CPU 40 %, disk 50 % free, memory 60 %):

* CPU usage (warning above 90): four lasting faults of 2 to 4 hours at 91.5 to 96 %; bursts of
  10 or 15 minutes at 91 to 99 % on every host, once a day; blips of 5 minutes (they heal
  within the pending time and are never notified).
* Disk space low (warning below 15, critical below 5): two lasting faults at 3.5 and 4 % for
  3 hours, one disk falling from 6 % to 1 % over 3 hours; twelve 10-minute dips to 4.2-4.8 %.
* Memory usage (warning above 90, critical above 97): three lasting faults at 95-96 % of
  1 to 2 hours; short spikes to 90.5-92 % for 10 minutes, three a day, all on kudu-004 but one.

``history`` derives what ``khp run`` records from the same samples (evaluated every minute, a
value holds until the next sample): an alert is detected at its first sample past the
threshold, fires 5 minutes later (the pending time) if the next sample is past it too, and
resolves (or, not fired, heals) at the first sample that is not. ``runs`` gives those alerts, so
a test counts lasting faults from the planted data without the code under test.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evaluator import BUNDLED_DIR
from khp.configuration import Config, load_config
from khp.history import HistoryEvent, open_history
from khp.records import MetricRow
from khp.store import Store

START = 1795392000.0  # 2026-11-23T00:00:00Z
UNTIL = START + 7 * 86400
SAMPLE = 300.0
PENDING = 300.0
CLUSTERS = ("hdp-001", "hdp-002", "kudu-004")
HOSTS = tuple(f"{cluster}-h{n}" for cluster in CLUSTERS for n in (1, 2))
BASE = {"cpu": 40.0, "disk": 50.0, "memory": 60.0}
CHECKS = {"cpu": "CPU usage", "disk": "Disk space low", "memory": "Memory usage"}
# (severity, threshold, is the value past it?) per metric, as HostMonitor's defaults say
LEVELS: dict[str, tuple[tuple[str, float, Callable[[float], bool]], ...]] = {
    "cpu": (("warning", 90.0, lambda v: v > 90.0),),
    "disk": (("warning", 15.0, lambda v: v < 15.0), ("critical", 5.0, lambda v: v < 5.0)),
    "memory": (("warning", 90.0, lambda v: v > 90.0), ("critical", 97.0, lambda v: v > 97.0)),
}


@dataclass(frozen=True)
class Fault:
    """``metric`` of ``host`` takes ``values``, one per 5-minute sample, from ``start``."""

    metric: str
    host: str
    start: float
    values: tuple[float, ...]

    @property
    def cluster(self) -> str:
        return self.host.rsplit("-", 1)[0]

    @property
    def end(self) -> float:
        return self.start + len(self.values) * SAMPLE


@dataclass(frozen=True)
class Run:
    """An alert as khp run records it: a check on a host at one severity, from ``detected`` to ``ended``."""

    check: str
    cluster: str
    host: str
    severity: str
    threshold: float
    detected: float
    ended: float
    values: tuple[float, ...]  # the samples past the threshold

    @property
    def fired(self) -> float | None:
        return self.detected + PENDING if len(self.values) >= 2 else None

    @property
    def lasted(self) -> float:
        return self.ended - self.detected


def at(day: int, hour: int, minute: int = 0) -> float:
    return START + day * 86400 + hour * 3600 + minute * 60


def hours(count: float, value: float) -> tuple[float, ...]:
    return (value,) * round(count * 3600 / SAMPLE)


LASTING = [
    Fault("cpu", "hdp-001-h1", at(0, 3), hours(2, 94.0)),
    Fault("cpu", "hdp-002-h2", at(2, 10), hours(3, 91.5)),
    Fault("cpu", "kudu-004-h1", at(4, 14), hours(4, 96.0)),
    Fault("cpu", "hdp-001-h2", at(5, 20), hours(2.5, 93.0)),
    Fault("disk", "hdp-001-h2", at(1, 2), hours(3, 3.5)),
    Fault("disk", "hdp-002-h1", at(3, 8), hours(3, 4.0)),
    Fault("disk", "kudu-004-h2", at(5, 6), tuple(round(6.0 - 5.0 * k / 35, 2) for k in range(36))),
    Fault("memory", "kudu-004-h1", at(1, 9), hours(1, 95.0)),
    Fault("memory", "kudu-004-h2", at(3, 15), hours(2, 95.0)),
    Fault("memory", "hdp-002-h1", at(6, 1), hours(1.5, 96.0)),
]


def _short() -> Iterator[Fault]:
    for day in range(7):
        for index, host in enumerate(HOSTS):
            hour = 1 + (index * 3 + day * 5) % 20
            samples = 2 if (index + day) % 3 else 3
            yield Fault("cpu", host, at(day, hour, 20), (91.0 + (index * 7 + day * 3) % 9,) * samples)
            yield Fault("cpu", host, at(day, (hour + 11) % 24, 40), (97.0,))  # a blip: heals while pending
        for spike in range(3):
            host = f"kudu-004-h{1 + (day + spike) % 2}"
            value = 90.5 + ((day * 3 + spike * 5) % 16) / 10
            yield Fault("memory", host, at(day, 2 + spike * 7, 30), (value, value))
    yield Fault("memory", "hdp-001-h1", at(2, 13, 30), (91.0, 91.0))
    for dip in range(12):
        host = HOSTS[dip % len(HOSTS)]
        yield Fault("disk", host, at(dip % 7, 12 + dip % 5, 10), (4.2 + (dip % 7) / 10,) * 2)


def faults() -> list[Fault]:
    """The lasting faults, and the short ones that do not touch another fault of the same metric and host."""
    chosen = list(LASTING)
    for fault in _short():
        near = [
            f
            for f in chosen
            if (f.metric, f.host) == (fault.metric, fault.host)
            and fault.start < f.end + 2 * SAMPLE
            and f.start < fault.end + 2 * SAMPLE
        ]
        if not near:
            chosen.append(fault)
    return chosen


def samples(planted: list[Fault]) -> dict[tuple[str, str], dict[float, float]]:
    """``{(metric, host): {time: value}}`` every 5 minutes from 10 minutes before ``START`` to ``UNTIL``."""
    found: dict[tuple[str, str], dict[float, float]] = {}
    for metric, base in BASE.items():
        for host in HOSTS:
            series = found[(metric, host)] = {}
            t = START - 2 * SAMPLE
            while t <= UNTIL:
                series[t] = base
                t += SAMPLE
    for fault in planted:
        for k, value in enumerate(fault.values):
            found[(fault.metric, fault.host)][fault.start + k * SAMPLE] = value
    return found


def runs(planted: list[Fault]) -> list[Run]:
    """Every alert the planted samples raise, per check, host and severity."""
    found: list[Run] = []
    for (metric, host), series in samples(planted).items():
        times = sorted(series)
        for severity, threshold, past in LEVELS[metric]:
            run: list[float] = []
            for t in times:
                if past(series[t]):
                    run.append(t)
                    continue
                if run:
                    values = tuple(series[s] for s in run)
                    cluster = host.rsplit("-", 1)[0]
                    found.append(Run(CHECKS[metric], cluster, host, severity, threshold, run[0], t, values))
                    run = []
    return sorted(found, key=lambda r: (r.detected, r.host, r.check, r.severity))


def history(planted: list[Fault]) -> list[HistoryEvent]:
    """The events khp run records for ``runs`` (values as the bridge sends them)."""
    events: list[HistoryEvent] = []
    for run in runs(planted):
        labels = {
            "alertname": run.check,
            "monitor": "HostMonitor",
            "cluster": run.cluster,
            "host": run.host,
            "severity": run.severity,
        }
        first, last = run.values[0], run.values[-1]
        events.append(HistoryEvent.for_labels(run.detected, "detected", labels, value=first, threshold=run.threshold))
        if run.fired is None:
            events.append(HistoryEvent.for_labels(run.ended, "healed", labels, value=first, threshold=run.threshold))
            continue
        events.append(HistoryEvent.for_labels(run.fired, "fired", labels, value=run.values[1], threshold=run.threshold))
        events.append(HistoryEvent.for_labels(run.ended, "resolved", labels, value=last, threshold=run.threshold))
    return events


def make_week(directory: Path) -> Config:
    """The project (khp.yml with hints.lasting 30m, HostMonitor), the week's metrics and its history."""
    (directory / "monitors").mkdir(parents=True, exist_ok=True)
    (directory / "clusters").mkdir(exist_ok=True)
    shutil.copy(BUNDLED_DIR / "host.py", directory / "monitors" / "host.py")
    (directory / "khp.yml").write_text(
        textwrap.dedent(
            """
            store: var/khp.db
            monitors: [monitors]
            evaluation: {interval: 1m, window: 10m, pending: 5m}
            routing: {group_wait: 30s, group_interval: 5m, repeat_interval: 4h}
            hints: {lasting: 30m}
            clusters_dir: clusters
            """
        )
    )
    config = load_config(directory / "khp.yml")
    planted = faults()
    names = {"cpu": ("cpu.user", "cpu.system"), "disk": ("disk.free_percent",), "memory": ("memory.used_percent",)}
    rows = []
    for (metric, host), series in samples(planted).items():
        cluster = host.rsplit("-", 1)[0]
        for t, value in series.items():
            if metric == "cpu":  # HostMonitor adds user and system time
                rows.append(MetricRow(t, cluster, host, "host", "os", names[metric][0], value - 5.0))
                rows.append(MetricRow(t, cluster, host, "host", "os", names[metric][1], 5.0))
            else:
                rows.append(MetricRow(t, cluster, host, "host", "os", names[metric][0], value))
    store = Store(config.store.path)
    try:
        store.write_metrics(rows)
    finally:
        store.close()
    with open_history(config) as recorder:
        recorder.record(history(planted))
    return config
