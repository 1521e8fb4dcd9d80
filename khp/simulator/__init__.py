"""A simulated fleet of big-data clusters, for the demo, the tests and the benchmarks.

Clusters of four kinds (Hadoop/HBase, Druid, Kudu, Kafka) report the metrics, RegionServer
logs and Supervisor process states of docs/metrics.md; faults come, last and heal on a
schedule drawn from the seed. The rows at a time depend only on the fleet's parameters and
that time, so a batch simulation and a live demo agree::

    from khp.simulator import Fleet, simulate
    from khp.store import Store

    fleet = Fleet(clusters=100, seed=7)              # 3,118 hosts, 16,541 programs
    summary = simulate(Store("var/khp.db"), fleet, start=t0, end=t0 + 3600, step=60)
    fleet.active_faults(t0 + 1800)                   # what the monitors should be finding

This package writes only through ``Store``; it reads no clock (every call takes the time).
"""

from ._fault import FAULT_KINDS, Fault, FaultKind
from ._fleet import Batch, Fleet
from ._metrics import METRIC_PATHS
from ._simulate import SimulationSummary, simulate, step_times
from ._topology import AGENTS, KINDS, PROGRAMS, Cluster, Host, Program

__all__ = [
    "AGENTS",
    "FAULT_KINDS",
    "KINDS",
    "METRIC_PATHS",
    "PROGRAMS",
    "Batch",
    "Cluster",
    "Fault",
    "FaultKind",
    "Fleet",
    "Host",
    "Program",
    "SimulationSummary",
    "simulate",
    "step_times",
]
