"""Writing a simulated period into the embedded store, one step at a time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from store import Store

from ._fleet import Fleet

Progress = Callable[[int, int], None]  # (steps written, steps in all)
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
) -> SimulationSummary:
    """Write the fleet's rows at ``start``, ``start + step``, ... ``end`` into ``store``.

    Each step writes the log lines of the ``step`` seconds before it, so consecutive steps
    cover the period without gaps or overlaps. Rows are made and written a few thousand hosts
    at a time, so memory stays flat whatever the fleet's size and the period's length.
    """
    times = step_times(start, end, step)
    began = time.perf_counter()
    metrics = logs = processes = 0
    groups = _groups(fleet)
    for done, t in enumerate(times, start=1):
        for names in groups:
            batch = fleet.rows_at(t, since=t - step, clusters=names)
            metrics += store.write_metrics(batch.metrics)
            if batch.logs:
                logs += store.write_logs(batch.logs)
            processes += store.write_processes(batch.processes)
            del batch
        if progress is not None:
            progress(done, len(times))
    return SimulationSummary(
        start=start,
        end=times[-1],
        step=step,
        steps=len(times),
        clusters=len(fleet.clusters),
        hosts=fleet.hosts,
        processes=fleet.processes,
        metrics=metrics,
        logs=logs,
        process_states=processes,
        faults=len(fleet.faults_between(start - step, times[-1] + 1e-6)),
        seconds=time.perf_counter() - began,
    )


def _groups(fleet: Fleet) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    hosts = 0
    for cluster in fleet.clusters:
        if hosts >= _HOSTS_PER_WRITE:
            groups.append([])
            hosts = 0
        groups[-1].append(cluster.name)
        hosts += len(cluster.hosts)
    return groups
