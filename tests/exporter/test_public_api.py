"""The exporter's public surface, pinned: the lead wires these names into ``khp run``."""

from __future__ import annotations

import exporter


def test_all_is_pinned() -> None:
    assert exporter.__all__ == [
        "ACTIVE",
        "CYCLE_BUCKETS",
        "ExporterError",
        "ExporterState",
        "KhpCollector",
        "MetricsServer",
        "Snapshot",
        "render",
        "serve",
    ]
    assert all(hasattr(exporter, name) for name in exporter.__all__)
