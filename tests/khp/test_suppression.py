"""Muted is not firing: ``khp run``'s pipeline reads back what a real Alertmanager does with its alerts,
exports it on ``/metrics`` and records it in the history, where the noise ledger finds it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from evaluator import Evaluator, discover_monitors
from exporter import render
from khp._pipeline import Pipeline
from khp.configuration import load_config
from khp.history import open_history, statistics
from khp.records import MetricRow
from khp.silences import SilenceService
from khp.sources import open_sources
from khp.store import Store
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

SERIES = re.compile(r"^khp_problem_alertmanager_state\{(?P<labels>[^}]*)\} 1\.0$", re.MULTILINE)


def slots(store: Store, at: float, used: dict[str, float]) -> None:
    rows = []
    for cluster, value in used.items():
        rows.append(MetricRow(at - 20, cluster, "o1", "druid", "overlord", "taskSlot.used.count", value))
        rows.append(MetricRow(at - 20, cluster, "o1", "druid", "overlord", "taskSlot.total.count", 100.0))
    store.write_metrics(rows)


def exported(pipeline: Pipeline) -> set[tuple[str, str, str, str]]:
    """(cluster, severity, Alertmanager state, reason) of every ``khp_problem_alertmanager_state`` sample."""
    found = set()
    for match in SERIES.finditer(render(pipeline.registry).decode()):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group("labels")))
        found.add((labels["cluster"], labels["severity"], labels["alertmanager_state"], labels["reason"]))
    return found


def test_maintenance_and_mutes_are_exported_and_recorded_as_what_held_the_alert_back(
    project: Path, tmp_path: Path
) -> None:
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        config_file = project / "khp.yml"
        config_file.write_text(
            config_file.read_text().replace("pending: 5m", "pending: 0s").replace('"127.0.0.1:0"', "''")
            + f'alertmanager: {{urls: ["{am.url}"], timeout: 5s}}\n'
        )
        (project / "clusters" / "alpha.yml").write_text("{}\n")
        config = load_config(config_file)
        store = Store(config.store.path)
        with (
            Evaluator(config, open_sources(config, store), discover_monitors(config)) as evaluator,
            Pipeline(config, output=lambda line: None) as pipeline,
        ):
            assert pipeline.suppression is not None

            def cycle() -> None:
                now = time.time()
                slots(store, now, {"alpha": 95.0, "beta": 50.0, "gamma": 60.0})  # beta, gamma warn at 40/45
                pipeline.after_cycle(evaluator.cycle(at=now))

            service = SilenceService(config)
            service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
            service.mute("Task slot usage", "beta", "cri", duration="1h", created_by="kim")
            cycle()  # everything fires at once (pending 0s)
            wanted = {
                ("alpha", "critical", "suppressed", "maintenance"),
                ("alpha", "warning", "suppressed", "maintenance"),  # silenced and inhibited: the silence is named
                ("beta", "warning", "suppressed", "muted"),
                ("gamma", "warning", "active", ""),
            }
            deadline = time.monotonic() + 30
            while exported(pipeline) != wanted:
                assert time.monotonic() < deadline, exported(pipeline)
                pipeline.suppression.watch.wait(5.0)  # let the background read of the last cycle finish
                cycle()
            cycle()  # the same states again: nothing new to record
            assert "khp_alertmanager_state_read_errors_total 0.0" in render(pipeline.registry).decode()
        store.close()

    with open_history(config) as history:
        events = history.events(0, time.time() + 60)
    suppressed = sorted((e.cluster, e.severity, e.detail.split(":")[0]) for e in events if e.kind == "suppressed")
    assert suppressed == [
        ("alpha", "critical", "maintenance"),
        ("alpha", "warning", "maintenance"),
        ("beta", "warning", "muted"),
    ]
    ledger = statistics(events, 0, time.time() + 60).ledger
    assert ledger.total.detected == 3
    assert {row.name: {k: v for k, v in row.not_notified.items() if v} for row in ledger.by_cluster} == {
        "alpha": {"maintenance": 1},
        "beta": {"muted": 1},
        "gamma": {"not_notified_yet": 1},  # no khp receiver in this test: nothing records a message
    }
