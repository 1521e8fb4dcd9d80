"""A test project for silences (khp.yml, cluster files, one monitor) and waiting on Alertmanager."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from khp.configuration import Config, load_config
from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder

MONITOR = '''
from evaluator import Monitor


class SlotMonitor(Monitor):
    """Druid overlord task slots."""

    def run(self):
        used = self.max("druid/overlord/taskSlot.used.count")
        self.emit("Task slot usage",
                  warning=used > self.w("druid_slot_used_percent"),
                  critical=used > self.c("druid_slot_used_percent"))
        self.emit(name="Slot leak", warning=used > self.w("druid_slot_used_percent"))
'''


def write_project(
    directory: Path, urls: Sequence[str], max_maintenance: str = "2d", max_mute: str = "1d", timeout: str = "2s"
) -> Path:
    """khp.yml (clusters alpha and beta, the monitor above) pointing at the Alertmanagers ``urls``."""
    (directory / "clusters").mkdir(parents=True, exist_ok=True)
    (directory / "monitors").mkdir(exist_ok=True)
    (directory / "clusters" / "alpha.yml").write_text("pending: 1m\n")
    (directory / "clusters" / "beta.yml").write_text("pending: 1m\n")
    (directory / "monitors" / "slots.py").write_text(MONITOR)
    (directory / "khp.yml").write_text(
        textwrap.dedent(
            f"""
            store: var/khp.db
            monitors: [monitors]
            alertmanager: {{urls: {json.dumps(list(urls))}, timeout: {timeout}}}
            silences: {{max_maintenance: {max_maintenance}, max_mute: {max_mute}}}
            thresholds:
              druid_slot_used_percent: {{warning: 80, critical: 90}}
            clusters_dir: clusters
            """
        )
    )
    return directory / "khp.yml"


def project_config(directory: Path, urls: Sequence[str], **bounds: str) -> Config:
    return load_config(write_project(directory, urls, **bounds))


def alert(check: str, cluster: str, severity: str, host: str = "h1") -> dict[str, Any]:
    return {
        "labels": {"alertname": check, "cluster": cluster, "severity": severity, "host": host},
        "annotations": {"description": "test"},
    }


def wait_for(predicate: Callable[[], Any], what: str, wait: float = 30.0) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {wait:g}s")
        time.sleep(0.1)


def notified(hook: WebhookRecorder, **labels: str) -> list[dict[str, Any]]:
    """Firing alerts the webhook received so far whose labels include ``labels``."""
    return [
        a
        for n in list(hook.notifications)
        for a in n["alerts"]
        if a["status"] == "firing" and all(a["labels"].get(k) == v for k, v in labels.items())
    ]


def silenced_by(am: AlertmanagerServer, check: str, cluster: str, severity: str) -> list[str] | None:
    """The IDs silencing that alert in Alertmanager, or None if it does not hold it."""
    for a in am.alerts(alertname=check, cluster=cluster, severity=severity):
        return list(a["status"]["silencedBy"])
    return None
