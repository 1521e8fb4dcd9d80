"""Configuration: ``khp.yml`` plus one file per cluster, read once into frozen objects.

Every error is a ``ConfigError`` naming the file, the dotted key and what is allowed::

    configs/clusters/alpha.yml: thresholds.druid_slot_used_percent.warning: expected a number, got str 'high'
"""

from ._defaults import MonitorDefaults, monitor_defaults
from ._durations import format_duration, parse_duration
from ._errors import ConfigError
from ._files import create_private, open_private
from ._live import LiveConfig
from ._load import SOURCE_KINDS, config_from, load_config
from ._load import _read_yaml as read_yaml
from ._model import (
    LEVELS,
    AlertmanagerConfig,
    ClusterConfig,
    Config,
    EvaluationConfig,
    ExporterConfig,
    HeartbeatConfig,
    InventoryConfig,
    LinksConfig,
    RouteTimings,
    RoutingConfig,
    SilencesConfig,
    SourceConfig,
    SourcesConfig,
    StoreConfig,
    Threshold,
)
from ._reader import Section as ConfigSection
from ._times import format_time, parse_time

__all__ = [
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
]
