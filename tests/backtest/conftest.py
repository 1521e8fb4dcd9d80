"""Fixtures of the backtest tests: a project directory with the Druid monitor and planted history."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator import Monitor, discover_monitors
from khp.configuration import Config

from .helpers import make_project


@pytest.fixture
def project(tmp_path: Path) -> Config:
    return make_project(tmp_path)


@pytest.fixture
def druid(project: Config) -> list[type[Monitor]]:
    return discover_monitors(project)
