"""Fixtures shared by the foundation's tests: a real embedded store in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from khp.store import Store

# Property tests: few examples each (the suite stays fast on a shared 2-core machine), no timing
# deadline (the machine is noisy), no example database written into the work tree. Set
# HYPOTHESIS_PROFILE=thorough for a longer hunt.
settings.register_profile(
    "khp", max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", parent=settings.get_profile("khp"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "khp"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty embedded store in ``tmp_path``."""
    db = Store(tmp_path / "khp.db")
    yield db
    db.close()
