"""Fixtures for the simulator's tests: a fixed time, the shipped configuration and its monitors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from evaluator import Monitor, discover_monitors
from khp.configuration import Config, load_config, parse_time

ROOT = Path(__file__).resolve().parents[2]
KHP_YML = ROOT / "khp.yml"
AT = parse_time("2026-11-29T10:00:00Z")


@pytest.fixture(scope="session")
def shipped() -> Config:
    """``khp.yml`` as shipped, without the example cluster files (the simulated clusters have none)."""
    if not KHP_YML.exists():
        pytest.skip("khp.yml is not there yet")
    return dataclasses.replace(load_config(KHP_YML), clusters=MappingProxyType({}))


@pytest.fixture(scope="session")
def monitors(shipped: Config) -> list[type[Monitor]]:
    """The bundled monitors, checked against the shipped thresholds."""
    found = discover_monitors(shipped)
    if not found:
        pytest.skip("no bundled monitors in evaluator/monitors yet")
    return found
