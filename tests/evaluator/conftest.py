"""Fixtures for DSL tests: a monitor wired to a real store, a real query pool and a config."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from evaluator._context import EvaluationContext
from evaluator._queries import CycleQueries
from evaluator.testing import ClusterSetup, build_config
from khp.configuration import Config
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import Store

from .helpers import AT, Probe, write_rows


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8, thread_name_prefix="test-query") as executor:
        yield executor


@pytest.fixture
def dsl(store: Store, pool: ThreadPoolExecutor) -> Callable[..., Probe]:
    """``dsl(rows, thresholds=..., clusters=..., at=...)``: a ``Probe`` monitor over those rows."""

    def make(
        rows: Iterable[Any] = (),
        thresholds: Mapping[str, Mapping[str, float | None]] | None = None,
        clusters: Mapping[str, ClusterSetup] | None = None,
        at: float = AT,
        config: Config | None = None,
        only: Iterable[str] | None = None,
        sources: Sources | None = None,
    ) -> Probe:
        write_rows(store, rows)
        built = build_config(thresholds, clusters, config)
        wired = sources or Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
        scope = tuple(only) if only is not None else None
        return Probe(EvaluationContext(built, wired, CycleQueries(pool), at, scope))

    return make
