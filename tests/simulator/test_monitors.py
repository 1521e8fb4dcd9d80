"""The bundled monitors find the faults the simulator schedules, and nothing on clusters without faults.

Each check's own fault, planted alone, is in ``test_checks``.

These run the shipped ``khp.yml`` thresholds and the monitors of ``evaluator/monitors``
through a real ``Evaluator`` cycle over a simulated store.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from evaluator import Evaluator, Monitor, Problem
from khp.configuration import Config
from khp.simulator import FAULT_KINDS, Fault, Fleet, simulate
from khp.sources import open_sources
from khp.store import Store

from .conftest import AT
from .planted import EXPECTED

# How long a fault's traces stay after it healed: log lines are counted over their period
# (an hour for the kernel's one read-only line), a dead Kafka controller's last value over the window.
LOOK_BACK = {"filesystem_read_only": 3660.0}
# Faults that hide others on the same host: the host or its Supervisor goes quiet, or a program
# that ships the data (or the very program) stops.
HIDING = {"host_silent", "supervisor_down", "process_crash", "process_exited", "program_removed", "datanode_dead"}
SHIPPERS = ("khp-agent", "node-exporter", "filebeat-shipper")
UNSEEN = {"host_silent", "supervisor_down"}  # found only for hosts the inventory saw before
_PROCESS_KINDS = {"process_crash", "process_exited", "zookeeper_down", "program_removed"}


def cycle(
    store: Store, config: Config, monitors: list[type[Monitor]], fleet: Fleet, at: float, history: float = 600.0
) -> list[Problem]:
    """Simulate the window before ``at`` (and ``history`` more) into ``store``; run one cycle at ``at``."""
    simulate(store, fleet, at - config.evaluation.window - history, at, step=60)
    with Evaluator(config, open_sources(config, store=store), monitors) as evaluator:
        result = evaluator.cycle(at=at)
    assert result.failed_monitors == []
    names = {cluster.name for cluster in fleet.clusters}
    return [p for p in result.problems if p.cluster in names]  # not the example clusters of configs/clusters


def test_a_healthy_fleet_raises_nothing_at_any_time_of_day(
    store: Store, shipped: Config, monitors: list[type[Monitor]]
) -> None:
    fleet = Fleet(clusters=20, seed=5, fault_rate=0)
    for hour in (0, 8, 16):  # each cluster peaks at its own time of day
        assert cycle(store, shipped, monitors, fleet, AT + hour * 3600, history=0) == []


@pytest.mark.parametrize("seed", [3, 17])
def test_scheduled_faults_are_found_and_nothing_else(
    store: Store, shipped: Config, monitors: list[type[Monitor]], seed: int
) -> None:
    fleet = Fleet(clusters=30, seed=seed, fault_rate=3)
    problems = cycle(store, shipped, monitors, fleet, AT)
    by_cluster: dict[str, set[str]] = defaultdict(set)
    for problem in problems:
        by_cluster[problem.cluster or ""].add(problem.check)

    recent = {
        fault.cluster
        for fault in fleet.faults_between(AT - max(LOOK_BACK.values()), AT + 1)
        if fault.end > AT - LOOK_BACK.get(fault.kind, 660.0)
    }
    assert set(by_cluster) <= recent
    active = fleet.active_faults(AT)
    # A host silent since before the simulated history began was never seen: nothing says it exists.
    simulated_from = AT - shipped.evaluation.window - 600
    settled = [f for f in active if f.start <= AT - 720 and (f.kind not in UNSEEN or f.start > simulated_from)]
    assert len(settled) >= 5, "the seed should give faults that have lasted twelve minutes"
    for fault in settled:
        raised = by_cluster[fault.cluster]
        assert EXPECTED[fault.kind] & raised or _masked(fault, active), (fault, raised)


def _masked(fault: Fault, active: list[Fault]) -> bool:
    """Whether another fault on the same host hides this one (the host, its Supervisor or a program went quiet)."""
    kind = FAULT_KINDS[fault.kind]
    for other in active:
        if other is fault or other.host != fault.host or other.kind not in HIDING:
            continue
        if other.kind == "host_silent":
            return True
        if other.kind == "supervisor_down":
            if fault.kind in _PROCESS_KINDS:
                return True
            continue
        if other.kind == "datanode_dead":
            if kind.program == "hdfs-datanode":
                return True
            continue
        if other.program in (*SHIPPERS, fault.program, kind.program):
            return True
    return False
