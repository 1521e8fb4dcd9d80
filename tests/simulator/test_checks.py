"""Every bundled check has a simulated fault that makes it, and only it, fire; a healthy fleet fires nothing.

Each test plants one fault of ``planted.PLANTED`` on a simulated cluster, writes what that
cluster reports (half an hour ago, for the inventory, and now, with the last hour of logs) into
a store, and runs one cycle of every bundled monitor with the shipped thresholds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest

from evaluator import Evaluator, Monitor, Problem, describe_checks
from evaluator.testing import ClusterSetup, build_config
from khp.configuration import Config
from khp.simulator import FAULT_KINDS, Fleet, simulate
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources, open_sources
from khp.store import Store
from tests.monitors.helpers import SupervisorLikeProcesses

from .conftest import AT
from .planted import FLEET_SIZE, PLANTED, Plant


def run_cycle(config: Config, monitors: list[type[Monitor]], sources: Sources) -> list[Problem]:
    with Evaluator(config, sources, monitors) as evaluator:
        result = evaluator.cycle(at=AT)
    assert result.failed_monitors == []
    return result.problems


def planted_problems(plant: Plant, shipped: Config, monitors: list[type[Monitor]], directory: Path) -> list[Problem]:
    fleet = Fleet(clusters=FLEET_SIZE, seed=11, fault_rate=0, faults=[plant.fault()])
    earlier = fleet.rows_at(AT - 1800, clusters=[plant.cluster])
    now = fleet.rows_at(AT, since=AT - 3600, clusters=[plant.cluster])
    store = Store(directory / "khp.db")
    try:
        store.write("metrics", [*earlier.metrics, *now.metrics])
        store.write("processes", [*earlier.processes, *now.processes])
        store.write("logs", now.logs)
        config = shipped
        if plant.cluster_file:
            hosts = {host.name: host.roles for host in fleet.cluster(plant.cluster).hosts}
            config = build_config(clusters={plant.cluster: ClusterSetup(hosts=hosts)}, base=shipped)
        processes = SupervisorLikeProcesses(EmbeddedProcesses(store), fleet.unreachable(AT))
        sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), processes)
        return run_cycle(config, monitors, sources)
    finally:
        store.close()


def bundled_checks(monitors: list[type[Monitor]]) -> list[str]:
    return [check.name for monitor in monitors for check in describe_checks(monitor)]


def test_every_bundled_check_has_a_planted_fault(monitors: list[type[Monitor]]) -> None:
    assert sorted(PLANTED) == sorted(bundled_checks(monitors))


def test_every_fault_kind_is_planted_for_some_check() -> None:
    assert {plant.kind for plant in PLANTED.values()} == set(FAULT_KINDS)


@pytest.mark.parametrize("check", sorted(PLANTED))
def test_a_planted_fault_fires_exactly_its_check(
    check: str, shipped: Config, monitors: list[type[Monitor]], tmp_path: Path
) -> None:
    plant = PLANTED[check]
    problems = planted_problems(plant, shipped, monitors, tmp_path)

    assert {p.check for p in problems} == {check}, [p.summary() for p in problems]
    assert {p.cluster for p in problems} == {plant.cluster}
    hosts = {p.host for p in problems}
    if plant.host_name and hosts != {None}:  # a host-level check names the fault's host
        assert hosts == {plant.host_name}


def test_two_active_namenodes_are_a_split_brain(shipped: Config, monitors: list[type[Monitor]], tmp_path: Path) -> None:
    plant = dataclasses.replace(PLANTED["NameNode HA state"], intensity=0.8)
    problems = planted_problems(plant, shipped, monitors, tmp_path)

    found = [(p.check, p.severity, p.value, p.compare) for p in problems]
    assert found == [("NameNode HA state", "critical", 2.0, "!=")]


@pytest.fixture(scope="module")
def healthy_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A hundred healthy clusters (3,118 hosts) as they report at ``AT``, with the last ten minutes' logs."""
    store = Store(tmp_path_factory.mktemp("healthy") / "khp.db")
    simulate(store, Fleet(clusters=100, seed=5, fault_rate=0), AT, AT, step=600)
    yield store
    store.close()


def test_a_healthy_fleet_of_a_hundred_clusters_fires_nothing(
    healthy_store: Store, shipped: Config, monitors: list[type[Monitor]]
) -> None:
    problems = run_cycle(shipped, monitors, open_sources(shipped, store=healthy_store))

    assert [p.summary() for p in problems] == []
    reported = {(row[0], row[1]) for row in healthy_store._connection().execute("SELECT service, role FROM series")}
    assert len(reported) > 20  # every kind of cluster and role reported


def test_the_shipped_config_has_no_simulated_clusters(shipped: Config) -> None:
    assert dict(shipped.clusters) == {}
    assert isinstance(shipped.clusters, MappingProxyType)
