"""Monitor test kit: run one monitor against given rows and thresholds at a given time.

Example (a plain pytest function)::

    from evaluator.testing import metric, run_monitor
    from evaluator.monitors.kudu import KuduMonitor

    def test_too_many_tablets():
        problems = run_monitor(
            KuduMonitor,
            [metric("kudu/tserver/server.tablets_num_running", 2500, cluster="alpha", host="t1")],
            thresholds={"kudu_tablets_num_running": {"warning": 2000, "critical": 3000},
                        "kudu_tablets_num_failed": {"warning": 0, "critical": 10}},
        )
        assert [(p.check, p.severity, p.host) for p in problems] == [("Too many tablets", "warning", "t1")]

The rows go into a real embedded store in a temporary directory; the monitor runs through
the same context, sources and query pool as in production.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from khp.configuration import ClusterConfig, Config, Threshold, parse_duration, parse_time
from khp.configuration._defaults import parse_defaults
from khp.records import LogRow, MetricRow, ProcessState
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import Store

from ._context import EvaluationContext, RolePath
from ._discovery import check_thresholds
from ._monitor import Monitor
from ._problem import Problem
from ._queries import CycleQueries

DEFAULT_AT = "2026-11-29T10:00:00Z"


@dataclass(frozen=True)
class Row:
    """A row to store, placed ``ago`` before the evaluation time."""

    kind: str
    fields: Mapping[str, Any]
    ago: float

    def at(self, at: float) -> MetricRow | LogRow | ProcessState:
        time = at - self.ago
        if self.kind == "metrics":
            return MetricRow(time=time, **self.fields)
        if self.kind == "logs":
            return LogRow(time=time, **self.fields)
        return ProcessState(time=time, **self.fields)


def metric(path: str, value: float, cluster: str = "alpha", host: str = "host1", ago: str | float = "1m") -> Row:
    """A metric value of ``service/role/name`` on a host."""
    parsed = RolePath.parse(path)
    return Row(
        "metrics",
        {
            "cluster": cluster,
            "host": host,
            "service": parsed.service,
            "role": parsed.role,
            "name": parsed.rest,
            "value": float(value),
        },
        parse_duration(ago),
    )


def log(
    path: str, message: str, cluster: str = "alpha", host: str = "host1", level: str = "WARN", ago: str | float = "1m"
) -> Row:
    """A log line of ``service/role`` (the last part of ``path`` is ignored, so a pattern reads well)."""
    service, role = path.split("/")[:2]
    return Row(
        "logs",
        {"cluster": cluster, "host": host, "service": service, "role": role, "level": level, "message": message},
        parse_duration(ago),
    )


def process(
    name: str,
    statename: str = "RUNNING",
    cluster: str = "alpha",
    host: str = "host1",
    spawnerr: str = "",
    ago: str | float = "1m",
) -> Row:
    """A Supervisor process state on a host."""
    return Row(
        "processes",
        {"cluster": cluster, "host": host, "name": name, "statename": statename, "spawnerr": spawnerr},
        parse_duration(ago),
    )


@dataclass(frozen=True)
class ClusterSetup:
    """What a cluster file would say, for ``run_monitor(clusters=...)``."""

    thresholds: Mapping[str, Mapping[str, float | None] | None] = field(default_factory=dict)
    hosts: Mapping[str, Iterable[str]] = field(default_factory=dict)
    pending: str | float | None = None


def build_config(
    thresholds: Mapping[str, Mapping[str, float | None]] | None = None,
    clusters: Mapping[str, ClusterSetup] | None = None,
    base: Config | None = None,
    window: str | float | None = None,
) -> Config:
    """A ``Config`` with ``thresholds`` on top of ``base``'s and the given clusters.

    As in khp.yml, a threshold names only the levels it changes: ``{"warning": 70}`` keeps the
    critical value ``base`` has for that key (none if it has no such key).
    """
    base = base or Config(file="<test>")
    merged = dict(base.thresholds)
    for key, levels in (thresholds or {}).items():
        before = merged.get(key, Threshold())
        merged[key] = Threshold(
            warning=levels.get("warning", before.warning),
            critical=levels.get("critical", before.critical),
            meaning=before.meaning,
        )
    built = dict(base.clusters)
    for name, setup in (clusters or {}).items():
        overrides = {
            key: ({"warning": None, "critical": None} if levels is None else dict(levels))
            for key, levels in setup.thresholds.items()
        }
        built[name] = ClusterConfig(
            name=name,
            file=f"<test cluster {name}>",
            thresholds=overrides,
            hosts={host: tuple(roles) for host, roles in setup.hosts.items()},
            pending=parse_duration(setup.pending) if setup.pending is not None else None,
        )
    evaluation = base.evaluation
    if window is not None:
        evaluation = dataclasses.replace(evaluation, window=parse_duration(window))
    return dataclasses.replace(base, thresholds=merged, clusters=built, evaluation=evaluation)


def run_monitor(
    monitor: type[Monitor],
    rows: Iterable[Row | MetricRow | LogRow | ProcessState] = (),
    thresholds: Mapping[str, Mapping[str, float | None]] | None = None,
    clusters: Mapping[str, ClusterSetup] | None = None,
    at: str | float = DEFAULT_AT,
    config: Config | None = None,
    window: str | float | None = None,
    only_clusters: Iterable[str] | None = None,
) -> list[Problem]:
    """Store ``rows``, run ``monitor`` once as of ``at`` and return its problems (sorted).

    The monitor's own threshold defaults (its ``thresholds`` attribute) apply unless ``config``
    is given; ``thresholds`` changes levels of them. An exception in the monitor propagates, so a
    test sees it. Thresholds the monitor uses but nothing defines fail as they would at load time.
    """
    if config is None:
        config = Config(file="<test>", thresholds=parse_defaults(monitor.thresholds, monitor.monitor_name()))
    built = build_config(thresholds, clusters, config, window)
    check_thresholds(monitor, built)
    when = parse_time(at)
    by_kind: dict[str, list[Any]] = {"metrics": [], "logs": [], "processes": []}
    for row in rows:
        record = row.at(when) if isinstance(row, Row) else row
        kind = "metrics" if isinstance(record, MetricRow) else "logs" if isinstance(record, LogRow) else "processes"
        by_kind[kind].append(record)
    with tempfile.TemporaryDirectory(prefix="khp-test-") as directory:
        store = Store(Path(directory) / "khp.db")
        for kind, records in by_kind.items():
            store.write(kind, records)
        sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
        with ThreadPoolExecutor(4, thread_name_prefix="khp-test-query") as pool:
            scope = tuple(only_clusters) if only_clusters is not None else None
            context = EvaluationContext(built, sources, CycleQueries(pool), when, scope)
            instance = monitor(context)
            instance.run()
            problems = instance.problems()
        store.close()
    return sorted(problems, key=lambda p: (p.check, p.cluster or "", p.host or "", p.severity))


__all__ = ["DEFAULT_AT", "ClusterSetup", "Row", "build_config", "log", "metric", "process", "run_monitor"]
