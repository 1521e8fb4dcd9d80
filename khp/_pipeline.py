"""What follows every cycle in ``khp run`` and ``khp demo``: keep its record, send its problems
to Alertmanager, read back what Alertmanager does with them, record the transitions in the
history, print what changed, publish ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector

from alert_bridge import AlertBridge, BridgeReport
from evaluator import Changes, CycleResult, Problem, diff_problems
from exporter import ExporterState, KhpCollector, MetricsServer, serve
from khp.configuration import Config
from khp.history import History, HistoryEvent, open_history
from khp.store import CycleLog

from ._common import eprint
from ._suppression import Suppression


class Pipeline:
    """The steps after a cycle, in order; ``close()`` stops the ``/metrics`` server."""

    def __init__(
        self,
        config: Config,
        output: Callable[[str], Any] = print,
        stamp: bool = False,
        alerting: bool = True,
        clusters: tuple[str, ...] | None = None,
    ) -> None:
        self.config = config
        self.output = output
        self.stamp = stamp
        self.clusters = clusters
        self.log = CycleLog(config.store.path)
        self.bridge: AlertBridge | None = AlertBridge(config) if alerting else None
        self.suppression: Suppression | None = Suppression(config) if alerting else None
        self.history: History = open_history(config)
        self.active: dict = {}
        self.exporter = ExporterState(alertmanager_urls=config.alertmanager.urls)
        self.registry = CollectorRegistry()
        self.registry.register(KhpCollector(self.exporter))
        ProcessCollector(registry=self.registry)
        self.server: MetricsServer | None = (
            serve(config.exporter.listen, self.registry) if config.exporter.listen else None
        )
        if self.server is not None:
            eprint(f"serving metrics on {self.server.url}")

    def after_cycle(self, result: CycleResult) -> Changes:
        from khp.configuration import format_time

        from ._check import summary, transition_lines

        self.log.append(result.record.as_dict())
        changes = diff_problems(self.active, result.problems, result.failed_monitors)
        self.active = changes.active
        report = self.bridge.process(result, clusters=self.clusters) if self.bridge is not None else None
        states = None
        events = transitions(result.record.at, changes, report)
        if self.bridge is not None:
            states = {key: state.phase for key, state in self.bridge.states.items() if state.phase != "resolved"}
        if self.suppression is not None:
            firing = [key for key, phase in (states or {}).items() if phase == "firing"]
            events += self.suppression.after_cycle(result.record.at, firing)
        self.exporter.update(
            result,
            problems=list(self.active.values()),
            states=states,
            send_errors={url: len(errors) for url, errors in report.errors.items()} if report else None,
            alertmanager=self.suppression.states() if self.suppression is not None else None,
            alertmanager_read=(
                (self.suppression.read_at, self.suppression.failed_reads) if self.suppression is not None else None
            ),
        )
        self.history.record(events)
        prefix = f"{format_time(result.record.at)[11:16]} " if self.stamp else ""
        for line in transition_lines(changes.new, changes.resolved):
            self.output(prefix + line)
        eprint(prefix + summary(result))
        if report is not None:
            eprint(prefix + report.summary())
        return changes

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.bridge is not None:
            self.bridge.close()
            self.bridge = None
        if self.suppression is not None:
            self.suppression.close()
            self.suppression = None
        self.history.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def transitions(at: float, changes: Changes, report: BridgeReport | None) -> list[HistoryEvent]:
    """History events of a cycle: detected and (through the bridge) fired, resolved, healed."""
    events = [_event(at, "detected", p) for p in changes.new]
    if report is not None:
        events += [_event(at, "fired", p) for p in report.fired]
        events += [_event(at, "resolved", p) for p in report.resolved]
        events += [_event(at, "healed", p) for p in report.reset]
    else:
        events += [_event(at, "healed", p) for p in changes.resolved]
    return events


def _event(at: float, kind: str, problem: Problem) -> HistoryEvent:
    labels = {
        "alertname": problem.check,
        "monitor": problem.monitor,
        "cluster": problem.cluster or "",
        "host": problem.host or "",
        "severity": problem.severity,
    }
    return HistoryEvent.for_labels(at, kind, labels, value=problem.value, threshold=problem.threshold)
