"""A project on disk (khp.yml, a cluster file, the Druid monitor) and planted history with known answers.

The fleet is the simulator's, with no random faults: only the faults a test plants, on
``druid-002``. Healthy task slot usage stays below 55 %; a ``druid_slots_full`` fault of
intensity 0.5 holds it at 96 % for exactly its duration. Metrics are written every minute,
so a fault starting at ``t`` is seen from the evaluation at ``t`` and gone at the evaluation
at ``t + duration``.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

from evaluator import BUNDLED_DIR
from khp.configuration import Config, load_config
from khp.records import MetricRow
from khp.simulator import Fault, Fleet, simulate
from khp.store import Store

START = 1795946400.0  # 2026-11-29T10:00:00Z
CLUSTER = "druid-002"
SLOT_PATHS = ("druid/overlord/taskSlot.used.count", "druid/overlord/taskSlot.total.count")
CHECK = "Task slot usage"


def make_project(
    directory: Path,
    thresholds: str = "druid_slot_used_percent: {warning: 80, critical: null}",
    routing: str = "{group_wait: 30s, group_interval: 5m, repeat_interval: 4h}",
    clusters: Mapping[str, str] | None = None,
    pending: str = "5m",
) -> Config:
    """A khp.yml with the bundled Druid monitor (copied), its thresholds and cluster files; loaded."""
    (directory / "monitors").mkdir(parents=True, exist_ok=True)
    (directory / "clusters").mkdir(exist_ok=True)
    shutil.copy(BUNDLED_DIR / "druid.py", directory / "monitors" / "druid.py")
    for name, text in (clusters or {}).items():
        (directory / "clusters" / f"{name}.yml").write_text(textwrap.dedent(text))
    (directory / "khp.yml").write_text(
        textwrap.dedent(
            f"""
            store: var/khp.db
            monitors: [monitors]
            evaluation: {{interval: 1m, window: 10m, pending: {pending}}}
            routing: {routing}
            thresholds:
              {thresholds}
              druid_unavailable_segments: {{warning: 0, critical: 100}}
              druid_segment_cache_used_percent: {{warning: 85, critical: 95}}
            clusters_dir: clusters
            """
        )
    )
    return load_config(directory / "khp.yml")


def slots_full(start: float, duration: float, cluster: str = CLUSTER) -> Fault:
    return Fault("druid_slots_full", cluster, start, duration, intensity=0.5)


def plant_faults(
    config: Config, faults: Iterable[Fault], start: float, end: float, clusters: Iterable[str] = (CLUSTER,)
) -> None:
    """Simulate the task slot metrics of ``clusters`` from ``start - window`` to ``end``, with ``faults``."""
    fleet = Fleet(clusters=12, seed=1, fault_rate=0.0, faults=faults)
    store = Store(config.store.path)
    try:
        simulate(
            store,
            fleet,
            start - config.evaluation.window,
            end,
            60.0,
            clusters=list(clusters),
            kinds=("metrics",),
            metric_paths=SLOT_PATHS,
        )
    finally:
        store.close()


def plant_values(
    config: Config, path: str, values: Mapping[float, float], start: float, end: float, base: float
) -> None:
    """Every minute from ``start - window`` to ``end``: ``values[t]`` where given, else ``base``; one host."""
    service, role, name = path.split("/", 2)
    host = f"{CLUSTER}-{role}1"  # druid-002-historical1, druid-002-coordinator1
    rows = []
    t = start - config.evaluation.window
    while t <= end:
        rows.append(MetricRow(t, CLUSTER, host, service, role, name, values.get(t, base)))
        t += 60.0
    store = Store(config.store.path)
    try:
        store.write_metrics(rows)
    finally:
        store.close()
