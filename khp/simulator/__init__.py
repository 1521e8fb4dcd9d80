"""A simulated fleet of big-data clusters, for the demo, the tests and the benchmarks.

Clusters of four kinds (Hadoop with HBase, Hive and Trino; Druid; Kudu; Kafka) report the
metrics and log lines of docs/metrics.md and Supervisor process states; faults come, last and
heal on a schedule drawn from the seed, at least one kind for each bundled check. The rows at a
time depend only on the fleet's parameters and that time, so a batch simulation and a live demo
agree::

    from khp.simulator import Fleet, simulate
    from khp.store import Store

    fleet = Fleet(clusters=100, seed=7)              # 3,118 hosts, 18,379 programs
    summary = simulate(Store("var/khp.db"), fleet, start=t0, end=t0 + 3600, step=60)
    fleet.active_faults(t0 + 1800)                   # what the monitors should be finding

The metrics, log streams and fault kinds are tables (``_metrics._ROLE_METRICS``,
``_logs.STREAMS``, ``_fault.FAULT_KINDS`` with ``_condition._EFFECTS``): a new check's data and
fault are rows there. This package writes only through ``Store`` (``Store.write_bulk``, in the
order SQLite writes fastest: ``_pieces``; a long period is made in a second process while this
one writes); it reads no clock (every call takes the time).
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
