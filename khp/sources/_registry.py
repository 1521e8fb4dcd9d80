"""Source types by name, and opening the three sources a configuration names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from khp.configuration import Config, ConfigError
from khp.store import Store

from ._druid import druid_metrics
from ._elasticsearch import elasticsearch_logs
from ._embedded import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses
from ._model import LogSource, MetricSource, ProcessSource
from ._prometheus import prometheus_metrics
from ._supervisor import supervisor_processes

Factory = Callable[[Config, Any], Any]


def _store(config: Config, store: Store | None) -> Store:
    return store if store is not None else Store(config.store.path)


# kind -> type name -> factory(config, store)
SOURCE_TYPES: dict[str, dict[str, Factory]] = {
    "metrics": {
        "embedded": lambda config, store: EmbeddedMetrics(_store(config, store)),
        "prometheus": prometheus_metrics,
        "druid": druid_metrics,
    },
    "logs": {
        "embedded": lambda config, store: EmbeddedLogs(_store(config, store)),
        "elasticsearch": elasticsearch_logs,
    },
    "processes": {
        "embedded": lambda config, store: EmbeddedProcesses(_store(config, store)),
        "supervisor": supervisor_processes,
    },
}


@dataclass(frozen=True)
class Sources:
    """The metric, log and process sources one evaluator uses."""

    metrics: MetricSource
    logs: LogSource
    processes: ProcessSource


def open_sources(config: Config, store: Store | None = None) -> Sources:
    """Build the sources ``config`` names; an unknown type is a ``ConfigError`` listing the known ones."""
    shared = store
    if shared is None and any(getattr(config.sources, kind).type == "embedded" for kind in SOURCE_TYPES):
        shared = Store(config.store.path)
    built = {}
    for kind, types in SOURCE_TYPES.items():
        wanted = getattr(config.sources, kind).type
        if wanted not in types:
            raise ConfigError(
                config.file, f"sources.{kind}.type", f"unknown source type {wanted!r}; known: {', '.join(types)}"
            )
        built[kind] = types[wanted](config, shared)
    return Sources(**built)
