"""``simulate(clusters=, kinds=, metric_paths=)``: only some of the rows, exactly as a full simulation writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from khp.simulator import Fleet, simulate
from khp.store import Store

from .helpers import SLOT_PATHS, START


def _points(store: Store) -> set[tuple]:
    conn = store._connection()
    return set(
        conn.execute(
            "SELECT s.service, s.role, s.name, s.cluster, s.host, p.ts, p.value FROM points p JOIN series s"
            " ON s.id = p.series"
        ).fetchall()
    )


def test_a_filtered_simulation_writes_a_subset_of_the_full_one(tmp_path: Path) -> None:
    fleet = Fleet(clusters=3, seed=4)
    full, part = Store(tmp_path / "full.db"), Store(tmp_path / "part.db")
    try:
        everything = simulate(full, fleet, START - 300, START, 60.0)
        some = simulate(
            part, fleet, START - 300, START, 60.0, clusters=["druid-002"], kinds=("metrics",), metric_paths=SLOT_PATHS
        )
        wanted = {row for row in _points(full) if row[3] == "druid-002" and "/".join(row[:3]) in SLOT_PATHS}
        assert _points(part) == wanted and len(wanted) == some.metrics > 0
        assert (some.logs, some.process_states, part.counts()["processes"]) == (0, 0, 0)
        assert (some.clusters, everything.clusters) == (1, 3)
        assert some.hosts == len(fleet.cluster("druid-002").hosts)
    finally:
        full.close()
        part.close()


def test_unknown_row_kinds_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "khp.db")
    try:
        with pytest.raises(ValueError, match="unknown row kinds traces; use some of metrics, logs, processes"):
            simulate(store, Fleet(clusters=1), START, START, kinds=("traces",))
    finally:
        store.close()
