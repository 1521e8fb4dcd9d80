"""What follows every cycle in ``khp run`` and ``khp demo``: keep its record, send its problems
to Alertmanager, read back what Alertmanager does with them, record the transitions in the
history, print what changed, publish ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector

from alert_bridge import AlertBridge, BridgeReport, FlapCycle
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
        monitors: tuple[str, ...] | None = None,
        evaluation_stamps: bool = False,
    ) -> None:
        self.config = config
        self.output = output
        self.stamp = stamp
        self.clusters = clusters
        self.monitors = monitors
        self.log = CycleLog(config.store.path)
        self.bridge: AlertBridge | None = AlertBridge(config, evaluation_stamps=evaluation_stamps) if alerting else None
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
        report = None
        if self.bridge is not None:
            report = self.bridge.process(result, clusters=self.clusters, monitors=self.monitors)
        # problems held without data stay active; the "No data" problems the bridge raised are active too
        held = [p.key for p in report.held] if report is not None else []
        current = [*result.problems, *(report.raised if report is not None else [])]
        changes = diff_problems(self.active, current, result.failed_monitors, unknown=held)
        self.active = changes.active
        states = None
        flaps = self.bridge.flapping.cycle if self.bridge is not None else None
        events = transitions(result.record.at, changes, report, flaps)
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
            flapping=[f.held for f in self.bridge.flapping.flapping.values() if f.held] if self.bridge else (),
        )
        self.history.record(events)
        prefix = f"{format_time(result.record.at)[11:16]} " if self.stamp else ""
        ended = {p.key for p in report.nodata_resolved} if report is not None else set()
        for line in transition_lines(changes.new, changes.resolved, ended) + flapping_lines(flaps):
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


def transitions(
    at: float, changes: Changes, report: BridgeReport | None, flaps: FlapCycle | None = None
) -> list[HistoryEvent]:
    """History events of a cycle: detected, fired, resolved, healed; flapping.

    With the bridge, they are its transitions, from the state it keeps in the store: an
    evaluator restarted, or the second of an HA pair, records nothing again, and both record the
    same event (same key, kind and time: one id) at the same aligned instant. While an alert
    flaps, its problem's comings are ``detected`` and its goings ``healed`` (the alert itself stays
    firing); ``stable`` ends that, and a resolution it brings was already recorded when the
    problem went.
    """
    if report is None:
        events = [_event(at, "detected", p) for p in changes.new]
        events += [_event(at, "healed", p) for p in changes.resolved]
    else:
        settled = {p.key for p, present in flaps.ended if not present} if flaps is not None else set()
        events = [_event(at, "detected", p) for p in report.detected]
        events += [_event(at, "fired", p) for p in report.fired]
        events += [_event(at, "resolved", p) for p in report.resolved if p.key not in settled]
        events += [
            _event(at, "resolved", p, "no data: ended for lack of data, not healed") for p in report.nodata_resolved
        ]
        events += [_event(at, "healed", p) for p in report.reset]
    if flaps is not None:
        events += [_event(at, "detected", p) for p in flaps.came]
        events += [_event(at, "flapping", p, "held firing under one notification until stable") for p in flaps.started]
        events += [_event(at, "healed", p, "gone while flapping: its alert stays firing") for p in flaps.gone]
        events += [
            _event(at, "stable", p, "stable: still there, firing" if present else "stable: gone, resolved")
            for p, present in flaps.ended
        ]
    return events


def flapping_lines(flaps: FlapCycle | None) -> list[str]:
    """``~`` when an alert starts flapping, ``=`` when it is stable again."""
    if flaps is None:
        return []
    lines = [f"~ {'FLAPPING':8} {p.summary()[9:]}" for p in flaps.started]
    return lines + [f"= {'STABLE':8} {p.summary()[9:]}" for p, _present in flaps.ended]


def _event(at: float, kind: str, problem: Problem, detail: str = "") -> HistoryEvent:
    labels = {
        "alertname": problem.check,
        "monitor": problem.monitor,
        "cluster": problem.cluster or "",
        "host": problem.host or "",
        "severity": problem.severity,
    }
    return HistoryEvent.for_labels(at, kind, labels, value=problem.value, threshold=problem.threshold, detail=detail)
