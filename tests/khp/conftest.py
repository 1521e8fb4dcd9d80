"""Fixtures for the command line: a project directory with its own khp.yml and store."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A khp.yml with one threshold and one monitor directory, in a temporary directory."""
    (tmp_path / "clusters").mkdir()
    (tmp_path / "monitors").mkdir()
    (tmp_path / "khp.yml").write_text(
        textwrap.dedent(
            """
            store: var/khp.db
            monitors: [monitors]
            evaluation: {interval: 1s, window: 10m, pending: 5m, monitor_timeout: 5s}
            exporter: {listen: "127.0.0.1:0"}
            thresholds:
              druid_slot_used_percent: {warning: 45, critical: 90}
            clusters_dir: clusters
            """
        )
    )
    (tmp_path / "clusters" / "beta.yml").write_text("thresholds: {druid_slot_used_percent: {warning: 40}}\n")
    (tmp_path / "monitors" / "slots.py").write_text(
        textwrap.dedent(
            '''
            from evaluator import Monitor


            class SlotMonitor(Monitor):
                """Druid overlord task slots."""

                def run(self):
                    used = self.max("druid/overlord/taskSlot.used.count") / \\
                           self.max("druid/overlord/taskSlot.total.count") * 100
                    self.emit("Task slot usage",
                              warning=used > self.w("druid_slot_used_percent"),
                              critical=used > self.c("druid_slot_used_percent"),
                              description="Task slot usage above threshold")
            '''
        )
    )
    return tmp_path
