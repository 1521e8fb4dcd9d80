"""Source types by name, and opening the three sources a configuration names."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from khp.configuration import Config, ConfigError
from khp.store import Store

from ._embedded import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses
from ._model import LogSource, MetricSource, ProcessSource

Factory = Callable[[Config, Any], Any]


def _store(config: Config, store: Store | None) -> Store:
    return store if store is not None else Store(config.store.path)


def _imported(module: str, name: str) -> Factory:
    """The factory ``name`` of ``khp.sources.<module>``, imported when a configuration uses it.

    The Druid and Elasticsearch clients take a fifth of a second to import; a process that
    reads the embedded store should not pay for them.
    """

    def factory(config: Config, store: Any) -> Any:
        return getattr(importlib.import_module(f"khp.sources.{module}"), name)(config, store)

    factory.__name__ = factory.__qualname__ = name
    return factory


# kind -> type name -> factory(config, store)
SOURCE_TYPES: dict[str, dict[str, Factory]] = {
    "metrics": {
        "embedded": lambda config, store: EmbeddedMetrics(_store(config, store)),
        "prometheus": _imported("_prometheus", "prometheus_metrics"),
        "druid": _imported("_druid", "druid_metrics"),
    },
    "logs": {
        "embedded": lambda config, store: EmbeddedLogs(_store(config, store)),
        "elasticsearch": _imported("_elasticsearch", "elasticsearch_logs"),
    },
    "processes": {
        "embedded": lambda config, store: EmbeddedProcesses(_store(config, store)),
        "supervisor": _imported("_supervisor", "supervisor_processes"),
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
