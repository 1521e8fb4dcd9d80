"""Data sources: where monitors' metrics, logs and process states come from.

Each source implements one small contract (``MetricSource.query``, ``LogSource.count``,
``ProcessSource.states`` / ``seen``); ``open_sources(config)`` builds the configured ones.
Errors::

    SourceError -> SourceUnavailable
"""

from ._embedded import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses
from ._errors import SourceError, SourceUnavailable
from ._model import LogQuery, LogSource, MetricQuery, MetricSource, ProcessQuery, ProcessSource, Sample
from ._registry import SOURCE_TYPES, Sources, open_sources

__all__ = [
    "SOURCE_TYPES",
    "EmbeddedLogs",
    "EmbeddedMetrics",
    "EmbeddedProcesses",
    "LogQuery",
    "LogSource",
    "MetricQuery",
    "MetricSource",
    "ProcessQuery",
    "ProcessSource",
    "Sample",
    "SourceError",
    "SourceUnavailable",
    "Sources",
    "open_sources",
]
