"""``khp run`` end to end: a problem goes through a real Alertmanager to a webhook, and into the history."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .helpers import khp


def rows_now() -> str:
    now = int(time.time()) - 30
    lines = []
    for cluster, used in (("alpha", 900), ("beta", 100)):
        for name, value in (("taskSlot.used.count", used), ("taskSlot.total.count", 1000)):
            lines.append(
                json.dumps(
                    {
                        "time": now,
                        "cluster": cluster,
                        "host": "o1",
                        "service": "druid",
                        "role": "overlord",
                        "name": name,
                        "value": value,
                    }
                )
            )
    return "\n".join(lines) + "\n"


def test_a_problem_reaches_alertmanager_and_the_history(project: Path, tmp_path: Path) -> None:
    (project / "rows.jsonl").write_text(rows_now())
    assert khp(project, "load", "metrics", str(project / "rows.jsonl")).returncode == 0
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        config = project / "khp.yml"
        config.write_text(
            config.read_text().replace("pending: 5m", "pending: 0s")
            + f'alertmanager: {{urls: ["{am.url}"], timeout: 5s}}\n'
        )
        result = khp(project, "run", "--cycles", "2")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("+ WARNING  alpha")  # 90% used: over 45, not over 90
        assert "alerts: 1 fired;" in result.stderr, result.stderr
        (notification,) = hook.wait_for(1)[:1]
        labels = notification["alerts"][0]["labels"]
        assert (labels["alertname"], labels["cluster"], labels["monitor"]) == (
            "Task slot usage",
            "alpha",
            "SlotMonitor",
        )
        assert notification["alerts"][0]["annotations"]["threshold"] == "45"
    stats = json.loads(khp(project, "stats", "--since", "1h", "--json").stdout)
    assert stats["by_cluster"]["alpha"]["detected"] == 1
    assert stats["by_cluster"]["alpha"]["fired"] == 1
    assert stats["by_check"]["Task slot usage"]["open"] == 1
