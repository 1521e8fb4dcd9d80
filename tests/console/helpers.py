"""A console project on disk: khp.yml (the shipped thresholds), three cluster files, a store with problems."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from werkzeug.security import generate_password_hash

from alert_bridge import AlertState, StateStore
from evaluator import Problem

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-0123456789abcdef"
ENVIRON = {"KHP_CONSOLE_SECRET": SECRET}
USER, PASSWORD = "kim", "correct horse"
# pbkdf2 with few rounds keeps the tests fast; the format is werkzeug's as in production
HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

ALPHA = """\
# alpha: large shared cluster; comments here must survive an edit.
thresholds:
  druid_slot_used_percent: {warning: 70}           # ingestion has to keep headroom here
  hdfs_capacity_used_percent: {warning: 85, critical: 92}
channels:
  warning: ["kakaowork:12345"]
  critical: ["kakaowork:67890", "kakaotalk:ops"]
pending: 10m
"""
BETA = """\
# beta: HBase serving cluster.
thresholds:
  datanode_without_nodemanager: null               # no YARN on this cluster
pending: 3m
"""
GAMMA = "# gamma: defaults only\n"


def write_project(directory: Path, alertmanager_url: str, console: dict[str, Any] | None = None) -> Path:
    """``directory/khp.yml`` with the shipped thresholds and ``clusters/{alpha,beta,gamma}.yml``; its path."""
    shipped = yaml.safe_load((ROOT / "khp.yml").read_text(encoding="utf-8"))
    clusters = directory / "clusters"
    clusters.mkdir(parents=True, exist_ok=True)
    (clusters / "alpha.yml").write_text(ALPHA, encoding="utf-8")
    (clusters / "beta.yml").write_text(BETA, encoding="utf-8")
    (clusters / "gamma.yml").write_text(GAMMA, encoding="utf-8")
    settings = {
        "store": "var/khp.db",
        "monitors": ["bundled"],
        "alertmanager": {"urls": [alertmanager_url], "timeout": "5s"},
        "routing": {"channels": {"warning": ["kakaowork:10001"], "critical": ["kakaowork:10002"]}},
        "silences": {"max_maintenance": "3d", "max_mute": "7d"},
        "thresholds": shipped["thresholds"],
        "clusters_dir": "clusters",
        "console": console if console is not None else {"users": {USER: {"password_hash": HASH}}},
    }
    path = directory / "khp.yml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def problem(
    check: str,
    cluster: str,
    severity: str = "warning",
    host: str | None = None,
    monitor: str = "DruidMonitor",
    value: float = 75.0,
    threshold: float = 70.0,
    source: str = "evaluator/monitors/druid.py#L14",
) -> Problem:
    return Problem(
        check=check,
        monitor=monitor,
        cluster=cluster,
        host=host,
        severity=severity,
        value=value,
        compare=">",
        threshold=threshold,
        description=f"{check} above threshold",
        source=source,
        service="druid",
    )


def put_problems(store: Path, entries: Iterable[tuple[Problem, str]], now: float | None = None) -> None:
    """Write (problem, phase) rows into ``alert_states`` with the alert bridge's own ``StateStore``."""
    now = time.time() if now is None else now
    states = []
    for problem_, phase in entries:
        fired = now - 300 if phase == "firing" else None
        states.append(
            AlertState(
                problem_, phase, since=now - 900, fired=fired, last_sent=fired, starts_at=fired, valid_until=now + 240
            )
        )
    db = StateStore(store)
    try:
        db.save(states, [])
    finally:
        db.close()


def default_problems() -> list[tuple[Problem, str]]:
    return [
        (problem("Task slot usage", "alpha"), "firing"),
        (problem("Task slot usage", "alpha", "critical", value=95, threshold=90), "pending"),
        (
            problem(
                "Disk space low",
                "beta",
                host="b-dn1",
                monitor="HostMonitor",
                value=3,
                threshold=5,
                source="evaluator/monitors/host.py#L21",
            ),
            "firing",
        ),
        (problem("Task slot usage", "delta"), "firing"),  # a cluster without a file
    ]


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
