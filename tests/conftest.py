"""Fixtures shared by the foundation's tests: a real embedded store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from khp.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty embedded store in ``tmp_path``."""
    db = Store(tmp_path / "khp.db")
    yield db
    db.close()
