"""What follows every cycle in ``khp run`` and ``khp demo``: keep its record, print what changed,
publish it on ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector

from configuration import Config
from evaluator import Changes, CycleResult, diff_problems
from exporter import ExporterState, KhpCollector, MetricsServer, serve
from store import CycleLog

from ._common import eprint


class Pipeline:
    """The steps after a cycle, in order; ``close()`` stops the ``/metrics`` server."""

    def __init__(self, config: Config, output: Callable[[str], Any] = print, stamp: bool = False) -> None:
        self.config = config
        self.output = output
        self.stamp = stamp
        self.log = CycleLog(config.store.path)
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
        from configuration import format_time

        from ._check import summary, transition_lines

        self.log.append(result.record.as_dict())
        changes = diff_problems(self.active, result.problems, result.failed_monitors)
        self.active = changes.active
        self.exporter.update(result, problems=list(self.active.values()))
        prefix = f"{format_time(result.record.at)[11:16]} " if self.stamp else ""
        for line in transition_lines(changes.new, changes.resolved):
            self.output(prefix + line)
        eprint(prefix + summary(result))
        return changes

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
