"""Fixtures of the history tests: a project with a khp.yml, an Elasticsearch stand-in, a settable clock."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from khp.configuration import Config, StoreConfig
from tests.standins.elasticsearch import ElasticsearchStandIn


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1795946400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def project_config(directory: Path, history: str = "") -> Config:
    """The ``Config`` of a ``khp.yml`` in ``directory`` with this ``history:`` section (YAML) and its store.

    Built as ``load_config`` builds it (``components['history']`` holds the raw section).
    """
    raw = yaml.safe_load(textwrap.dedent(history)) if history else None
    components = {"history": raw} if raw is not None else {}
    return Config(
        file=str(directory / "khp.yml"),
        store=StoreConfig(path=directory / "var/khp.db"),
        components=MappingProxyType(components),
    )


@pytest.fixture
def es() -> Iterator[ElasticsearchStandIn]:
    with ElasticsearchStandIn(version=8) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()
