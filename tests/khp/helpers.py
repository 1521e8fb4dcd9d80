"""Running the real ``khp`` command in a test project, and rows to load into it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KHP = [sys.executable, "-m", "khp"]


def khp(project: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``khp`` command in ``project`` with only the bundled monitors it names."""
    env = dict(os.environ, KHP_CONFIG=str(project / "khp.yml"), KHP_HISTORY=str(project / "history"))
    return subprocess.run(
        [*KHP, *args], cwd=project, env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )


SLOT_ROWS = "\n".join(
    [
        '{"time": "2026-11-29T09:58:00Z", "cluster": "alpha", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.used.count", "value": 599}',
        '{"time": "2026-11-29T09:58:00Z", "cluster": "alpha", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.total.count", "value": 1215}',
        '{"time": 1795946280, "cluster": "beta", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.used.count", "value": 512}',
        '{"time": 1795946280, "cluster": "beta", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.total.count", "value": 1200}',
        '{"time": 1795946280, "cluster": "gamma", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.used.count", "value": 1}',
        '{"time": 1795946280, "cluster": "gamma", "host": "o1", "service": "druid", "role": "overlord", '
        '"name": "taskSlot.total.count", "value": 75}',
    ]
)
