"""Writing a simulated period into the embedded store, one step at a time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from khp.store import Store

from ._fleet import Fleet
from ._topology import Cluster

Progress = Callable[[int, int], None]  # (steps written, steps in all)
ROW_KINDS = ("metrics", "logs", "processes")
_HOSTS_PER_WRITE = 2500  # a write of ~2,500 hosts is ~25,000 metric rows: large enough to be fast, small enough


@dataclass(frozen=True)
class SimulationSummary:
    """What ``simulate`` wrote and how fast."""

    start: float
    end: float
    step: float
    steps: int
    clusters: int
    hosts: int
    processes: int
    metrics: int
    logs: int
    process_states: int
    faults: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.metrics + self.logs + self.process_states

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"{self.steps} steps of {self.clusters} clusters ({self.hosts:,} hosts): {self.metrics:,} metric points,"
            f" {self.logs:,} log lines, {self.process_states:,} process states, {self.faults} faults;"
            f" {self.seconds:.1f}s, {self.rows_per_second:,.0f} rows/s"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "step": self.step,
            "steps": self.steps,
            "clusters": self.clusters,
            "hosts": self.hosts,
            "processes": self.processes,
            "metrics": self.metrics,
            "logs": self.logs,
            "process_states": self.process_states,
            "faults": self.faults,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
        }


def step_times(start: float, end: float, step: float) -> list[float]:
    """``start``, ``start + step``, ... up to and including ``end``."""
    if step <= 0 or not math.isfinite(step):
        raise ValueError(f"step is a positive number of seconds, got {step!r}")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    count = math.floor((end - start) / step + 1e-9) + 1
    return [start + i * step for i in range(count)]


def simulate(
    store: Store,
    fleet: Fleet,
    start: float,
    end: float,
    step: float = 60.0,
    progress: Progress | None = None,
    *,
    clusters: Iterable[str] | None = None,
    kinds: Collection[str] = ROW_KINDS,
    metric_paths: Collection[str] | None = None,
) -> SimulationSummary:
    """Write the fleet's rows at ``start``, ``start + step``, ... ``end`` into ``store``.

    Each step writes the log lines of the ``step`` seconds before it, so consecutive steps
    cover the period without gaps or overlaps. Rows are made and written a few thousand hosts
    at a time, so memory stays flat whatever the fleet's size and the period's length.

    By default everything is written. ``clusters`` limits it to those clusters, ``kinds`` to
    some of ``metrics``, ``logs``, ``processes``, and ``metric_paths`` the metrics to those
    ``service/role/name`` paths: a backtest of one monitor over days needs only what it reads.
    The rows written are exactly those a full simulation writes for them.
    """
    unknown = sorted(set(kinds) - set(ROW_KINDS))
    if unknown:
        raise ValueError(f"unknown row kinds {', '.join(unknown)}; use some of {', '.join(ROW_KINDS)}")
    times = step_times(start, end, step)
    chosen = [fleet.cluster(name) for name in clusters] if clusters is not None else list(fleet.clusters)
    paths = frozenset(metric_paths) if metric_paths is not None else None
    began = time.perf_counter()
    metrics = logs = processes = 0
    groups = _groups(chosen)
    for done, t in enumerate(times, start=1):
        for names in groups:
            batch = fleet.rows_at(t, since=t - step, clusters=names)
            if "metrics" in kinds:
                rows = batch.metrics
                if paths is not None:
                    rows = [row for row in rows if f"{row.service}/{row.role}/{row.name}" in paths]
                metrics += store.write_metrics(rows)
            if batch.logs and "logs" in kinds:
                logs += store.write_logs(batch.logs)
            if "processes" in kinds:
                processes += store.write_processes(batch.processes)
            del batch
        if progress is not None:
            progress(done, len(times))
    names = [cluster.name for cluster in chosen]
    return SimulationSummary(
        start=start,
        end=times[-1],
        step=step,
        steps=len(times),
        clusters=len(chosen),
        hosts=sum(len(cluster.hosts) for cluster in chosen),
        processes=sum(cluster.processes for cluster in chosen),
        metrics=metrics,
        logs=logs,
        process_states=processes,
        faults=len(fleet.faults_between(start - step, times[-1] + 1e-6, names)),
        seconds=time.perf_counter() - began,
    )


def _groups(clusters: Iterable[Cluster]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    hosts = 0
    for cluster in clusters:
        if hosts >= _HOSTS_PER_WRITE:
            groups.append([])
            hosts = 0
        groups[-1].append(cluster.name)
        hosts += len(cluster.hosts)
    return groups
