"""Writing a simulated period into the embedded store."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from khp.store import Store

from ._fleet import ROW_KINDS, Fleet
from ._pieces import Work, apart_pays, made_apart, pieces

Progress = Callable[[int, int], None]  # (steps written, steps in all)


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

    def counts(self) -> str:
        """What was written: ``361 steps of 10 clusters (288 hosts): 2,113,069 metric points, ...``."""
        return (
            f"{self.steps} steps of {self.clusters} clusters ({self.hosts:,} hosts): {self.metrics:,} metric points,"
            f" {self.logs:,} log lines, {self.process_states:,} process states, {self.faults} faults"
        )

    def __str__(self) -> str:
        return f"{self.counts()}; {self.seconds:.1f}s, {self.rows_per_second:,.0f} rows/s"

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
    parallel: bool | None = None,
) -> SimulationSummary:
    """Write the fleet's rows at ``start``, ``start + step``, ... ``end`` into ``store``.

    Each step writes the log lines of the ``step`` seconds before it, so consecutive steps
    cover the period without gaps or overlaps. The rows are exactly those ``Fleet.rows_at``
    gives for each step, made and written (``Store.write_bulk``) in pieces of up to a day of
    one cluster's metrics and an hour of a few thousand hosts' process states and log lines,
    so memory stays flat whatever the fleet's size and the period's length. ``progress(steps
    written, steps)`` is called after each piece (the count is a share of the pieces of a span).

    By default everything is written. ``clusters`` limits it to those clusters, ``kinds`` to
    some of ``metrics``, ``logs``, ``processes``, and ``metric_paths`` the metrics to those
    ``service/role/name`` paths: a backtest of one monitor over days needs only what it reads.
    ``parallel`` makes the rows in a second process while this one writes (default: when the
    period is long enough for it to pay, and this process runs no other thread).
    """
    unknown = sorted(set(kinds) - set(ROW_KINDS))
    if unknown:
        raise ValueError(f"unknown row kinds {', '.join(unknown)}; use some of {', '.join(ROW_KINDS)}")
    times = step_times(start, end, step)
    chosen = [fleet.cluster(name) for name in clusters] if clusters is not None else list(fleet.clusters)
    work = Work(
        times=times,
        step=step,
        clusters=tuple(cluster.name for cluster in chosen),
        kinds=tuple(kind for kind in ROW_KINDS if kind in kinds),
        metric_paths=frozenset(metric_paths) if metric_paths is not None else None,
    )
    began = time.perf_counter()
    apart = apart_pays(work, fleet) if parallel is None else parallel
    written = [0, 0, 0]
    made = made_apart(fleet, work) if apart else pieces(fleet, work)
    with contextlib.closing(made):
        for piece in made:
            counts = store.write_bulk(piece.bulk)
            written = [sum(pair) for pair in zip(written, counts, strict=True)]
            if progress is not None:
                progress(piece.done, len(times))
    return SimulationSummary(
        start=start,
        end=times[-1],
        step=step,
        steps=len(times),
        clusters=len(chosen),
        hosts=sum(len(cluster.hosts) for cluster in chosen),
        processes=sum(cluster.processes for cluster in chosen),
        metrics=written[0],
        logs=written[1],
        process_states=written[2],
        faults=len(fleet.faults_between(start - step, times[-1] + 1e-6, work.clusters)),
        seconds=time.perf_counter() - began,
    )
