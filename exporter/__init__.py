"""The exporter: khp-monitor's results and health as Prometheus metrics on ``/metrics``.

The run loop feeds an ``ExporterState`` after every cycle; a ``KhpCollector`` turns its
latest snapshot into metric families at each scrape; ``serve`` answers scrapes::

    from prometheus_client import CollectorRegistry
    from exporter import ExporterState, KhpCollector, serve

    state = ExporterState(alertmanager_urls=config.alertmanager.urls)
    registry = CollectorRegistry()
    registry.register(KhpCollector(state))
    with serve(config.exporter.listen, registry):
        ...
        state.update(result, problems=changes.active.values())

Errors: ``ExporterError`` (``exporter.listen`` malformed or not bindable). This package
does no I/O except in ``serve``.
"""

from ._collector import KhpCollector
from ._errors import ExporterError
from ._server import MetricsServer, render, serve
from ._state import ACTIVE, CYCLE_BUCKETS, ExporterState, Snapshot

__all__ = [
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
