"""Fixtures for the bundled monitors' tests: the shipped ``khp.yml`` and ways to run monitors on rows."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from evaluator import Evaluator, Monitor, Problem
from evaluator.testing import DEFAULT_AT, ClusterSetup, Row, build_config, run_monitor
from khp.configuration import Config, load_config, parse_time
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import Store

from .helpers import SupervisorLikeProcesses

KHP_YML = Path(__file__).resolve().parents[2] / "khp.yml"

Seen = tuple[str, str, "str | None", "str | None", "float | None", "str | None", "float | None"]


@pytest.fixture(scope="session")
def shipped() -> Config:
    """``khp.yml`` as shipped, with the example cluster files of ``configs/clusters``."""
    return load_config(KHP_YML)


@pytest.fixture(scope="session")
def config(shipped: Config) -> Config:
    """The shipped global thresholds without the example clusters, so each test sets up its own."""
    return dataclasses.replace(shipped, clusters=MappingProxyType({}))


def _brief(problems: Iterable[Problem]) -> list[Seen]:
    return [(p.check, p.severity, p.cluster, p.host, p.value, p.compare, p.threshold) for p in problems]


@pytest.fixture
def check(config: Config) -> Callable[..., list[Seen]]:
    """Run a monitor with the shipped thresholds; problems as (check, severity, cluster, host, value, op, threshold)."""

    def run(
        monitor: type[Monitor],
        rows: Iterable[Row] = (),
        clusters: Mapping[str, ClusterSetup] | None = None,
        base: Config | None = None,
        at: str = DEFAULT_AT,
    ) -> list[Seen]:
        return _brief(run_monitor(monitor, rows, clusters=clusters, config=base or config, at=at))

    return run


@pytest.fixture
def evaluate(config: Config) -> Callable[..., list[Problem]]:
    """Run monitors through a real ``Evaluator`` cycle, with hosts whose Supervisor is unreachable."""

    def run(
        monitors: Sequence[type[Monitor]],
        rows: Iterable[Row] = (),
        unreachable: Sequence[tuple[str, str, str]] = (),
        clusters: Mapping[str, ClusterSetup] | None = None,
        at: str = DEFAULT_AT,
    ) -> list[Problem]:
        built = build_config(clusters=clusters, base=config)
        when = parse_time(at)
        by_kind: dict[str, list[Any]] = {"metrics": [], "logs": [], "processes": []}
        for row in rows:
            by_kind[row.kind].append(row.at(when))
        with tempfile.TemporaryDirectory(prefix="khp-monitors-") as directory:
            store = Store(Path(directory) / "khp.db")
            for kind, records in by_kind.items():
                store.write(kind, records)
            sources = Sources(
                EmbeddedMetrics(store),
                EmbeddedLogs(store),
                SupervisorLikeProcesses(EmbeddedProcesses(store), unreachable),
            )
            with Evaluator(built, sources, monitors) as evaluator:
                result = evaluator.cycle(at=when)
            store.close()
        return result.problems

    return run
