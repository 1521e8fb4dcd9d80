"""The public surface of the foundation's packages: what users import, pinned (a change must be deliberate)."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "evaluator": [
        "BUNDLED_DIR",
        "DATA_STALE",
        "HEARTBEAT",
        "MONITOR_FAILED",
        "MONITOR_TIMED_OUT",
        "NO_DATA",
        "RESERVED_CHECKS",
        "SEVERITIES",
        "SOURCE_UNAVAILABLE",
        "Changes",
        "CheckInfo",
        "Coverage",
        "CycleRecord",
        "CycleResult",
        "DslError",
        "Element",
        "Evaluator",
        "EvaluatorError",
        "Feeds",
        "Finding",
        "LintResult",
        "Monitor",
        "MonitorLoadError",
        "MonitorRecord",
        "Problem",
        "ThresholdError",
        "Thresholds",
        "Vector",
        "check_thresholds",
        "describe_checks",
        "diff_problems",
        "discover_monitors",
        "is_broken",
        "lint",
        "load_error",
        "load_monitors",
        "select",
        "threshold_keys",
    ],
    "evaluator.testing": [
        "DEFAULT_AT",
        "ClusterSetup",
        "Row",
        "build_config",
        "log",
        "metric",
        "monitor_from",
        "process",
        "run_monitor",
    ],
    "khp.configuration": [
        "LEVELS",
        "SOURCE_KINDS",
        "AlertmanagerConfig",
        "ClusterConfig",
        "Config",
        "ConfigError",
        "ConfigSection",
        "EvaluationConfig",
        "ExporterConfig",
        "HeartbeatConfig",
        "InventoryConfig",
        "LinksConfig",
        "LiveConfig",
        "MonitorDefaults",
        "RouteTimings",
        "RoutingConfig",
        "SilencesConfig",
        "SourceConfig",
        "SourcesConfig",
        "StoreConfig",
        "Threshold",
        "config_from",
        "create_private",
        "format_duration",
        "format_time",
        "load_config",
        "monitor_defaults",
        "open_private",
        "parse_duration",
        "parse_time",
        "read_yaml",
    ],
    "khp.store": [
        "AGGREGATES",
        "KINDS",
        "Bulk",
        "CycleLog",
        "FeedLog",
        "IngestError",
        "Store",
        "StoreError",
        "iter_records",
        "matches",
        "parse_lines",
        "words",
    ],
    "khp.sources": [
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
    ],
    "khp.records": ["PROCESS_STATES", "LogRow", "MetricRow", "ProcessState"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == PUBLIC[package]


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_every_public_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_the_error_trees_are_as_documented() -> None:
    from evaluator import DslError, EvaluatorError, MonitorLoadError, ThresholdError
    from khp.configuration import ConfigError
    from khp.sources import SourceError, SourceUnavailable
    from khp.store import IngestError, StoreError

    assert issubclass(ConfigError, Exception)
    assert issubclass(SourceUnavailable, SourceError)
    assert issubclass(IngestError, StoreError)
    for error in (MonitorLoadError, ThresholdError, DslError):
        assert issubclass(error, EvaluatorError)
    assert issubclass(ThresholdError, KeyError)
    assert issubclass(DslError, ValueError)


def test_the_rule_authors_import_works() -> None:
    from evaluator import Monitor

    assert Monitor.__module__ == "evaluator._monitor"
    assert Monitor.__doc__ and "emit" in Monitor.__doc__
