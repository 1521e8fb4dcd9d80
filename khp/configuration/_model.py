"""The configuration as frozen, typed objects; built once by ``load_config``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

LEVELS = ("warning", "critical")


def _frozen(mapping: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class SourceConfig:
    """Where one kind of data (metrics, logs or processes) comes from."""

    type: str = "embedded"
    options: Mapping[str, object] = field(default_factory=_frozen)


@dataclass(frozen=True)
class SourcesConfig:
    metrics: SourceConfig = SourceConfig()
    logs: SourceConfig = SourceConfig()
    processes: SourceConfig = SourceConfig()


@dataclass(frozen=True)
class StoreConfig:
    """The embedded SQLite store: its file and how long it keeps data."""

    path: Path = Path("var/khp.db")
    retention: float = 7 * 86400


@dataclass(frozen=True)
class EvaluationConfig:
    """How and how often the monitors run."""

    interval: float = 60.0
    window: float = 600.0
    pending: float = 300.0
    monitor_timeout: float = 30.0
    parallel_monitors: int = 8
    parallel_queries: int = 16
    nodata_hold: float = 900.0  # a firing problem whose element has no data stays firing this long
    stale_after: float | None = None  # a feed with nothing newer is "Data stale"; None: 3 x window

    @property
    def stale(self) -> float:
        """``stale_after``, or three windows when it is not set."""
        return self.stale_after if self.stale_after is not None else 3 * self.window


@dataclass(frozen=True)
class InventoryConfig:
    """How process names map to ``service/role`` and how far back hosts are remembered."""

    process_pattern: str = r"^(?P<service>[A-Za-z0-9_]+)[-_](?P<role>.+)$"
    process_roles: Mapping[str, str] = field(default_factory=_frozen)
    window: float = 86400.0


@dataclass(frozen=True)
class AlertmanagerConfig:
    """Where the alert bridge sends alerts, and Prometheus' sending rules (resend, resolved repeat)."""

    urls: tuple[str, ...] = ("http://127.0.0.1:9093",)
    timeout: float = 10.0
    resend_interval: float = 60.0
    resolved_resend: float = 900.0
    retries: int = 3


@dataclass(frozen=True)
class RouteTimings:
    """Alertmanager's batching: how long to wait, how often to update a group, when to repeat."""

    group_wait: float | None = None
    group_interval: float | None = None
    repeat_interval: float | None = None


@dataclass(frozen=True)
class RoutingConfig:
    """What ``khp alertmanager-config`` renders: the receiver's webhook, default rooms and timings."""

    receiver_url: str = "http://127.0.0.1:8080/alertmanager"
    credentials_file: str = "/etc/khp/receiver-token"
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=_frozen)
    timings: RouteTimings = RouteTimings(group_wait=30.0, group_interval=300.0, repeat_interval=14400.0)


@dataclass(frozen=True)
class HeartbeatConfig:
    """The heartbeat alert's route in ``alertmanager.yml``: how often Alertmanager shows it to the receiver."""

    group_interval: float = 30.0
    repeat_interval: float = 60.0


@dataclass(frozen=True)
class SilencesConfig:
    """Bounds of maintenance windows and per-problem mutes (their end time is mandatory)."""

    max_maintenance: float = 7 * 86400.0
    max_mute: float = 7 * 86400.0


@dataclass(frozen=True)
class ExporterConfig:
    """Where ``khp run`` serves ``/metrics``; an empty ``listen`` turns it off."""

    listen: str = "127.0.0.1:9464"


_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # holds evaluator/ (the bundled monitors) and khp/


@dataclass(frozen=True)
class LinksConfig:
    """Templates for links to a monitor's source line; ``{path}`` and ``{line}`` are filled in.

    ``directories`` maps a monitors directory (resolved) to its own template, whose ``{path}`` is
    relative to that directory; ``source`` serves the bundled monitors and those under khp.yml's
    directory. A monitor anywhere else is shown as ``/its/file.py:25``.
    """

    source: str = "{path}#L{line}"
    directories: Mapping[str, str] = field(default_factory=_frozen)

    def link(self, file: str, line: int, config_file: str = "") -> str:
        """The link to ``line`` of ``file``."""
        path = Path(file).resolve()
        for directory, template in self.directories.items():
            if path.is_relative_to(directory):
                return template.format(path=path.relative_to(directory).as_posix(), line=line)
        roots = [_PACKAGE_ROOT]
        if config_file:
            roots.append(Path(config_file).resolve().parent)
        for root in roots:
            if path.is_relative_to(root):
                return self.source.format(path=path.relative_to(root).as_posix(), line=line)
        return f"{path.as_posix()}:{line}"


@dataclass(frozen=True)
class Threshold:
    """A warning and a critical value (``None`` means that level is off), and what the value measures."""

    warning: float | None = None
    critical: float | None = None
    meaning: str = ""

    def level(self, level: str) -> float | None:
        return self.warning if level == "warning" else self.critical

    def levels(self) -> dict[str, float | None]:
        return {"warning": self.warning, "critical": self.critical}


@dataclass(frozen=True)
class ClusterConfig:
    """One cluster's file: its overrides, rooms, pending time and known hosts."""

    name: str
    file: str = ""
    thresholds: Mapping[str, Mapping[str, float | None]] = field(default_factory=_frozen)
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=_frozen)
    pending: float | None = None
    hosts: Mapping[str, tuple[str, ...]] = field(default_factory=_frozen)
    routing: RouteTimings = RouteTimings()
    nodata_hold: float | None = None
    stale_after: float | None = None


@dataclass(frozen=True)
class Config:
    """Everything khp reads from ``khp.yml`` and the cluster files.

    ``components`` holds the sections that a component reads into its own frozen settings at
    start (``receiver``, ``history``, ``console``), each with errors naming this file and key.
    """

    file: str = ""
    sources: SourcesConfig = SourcesConfig()
    store: StoreConfig = StoreConfig()
    monitors: tuple[Path, ...] = ()
    evaluation: EvaluationConfig = EvaluationConfig()
    inventory: InventoryConfig = InventoryConfig()
    alertmanager: AlertmanagerConfig = AlertmanagerConfig()
    routing: RoutingConfig = RoutingConfig()
    heartbeat: HeartbeatConfig = HeartbeatConfig()
    silences: SilencesConfig = SilencesConfig()
    exporter: ExporterConfig = ExporterConfig()
    links: LinksConfig = LinksConfig()
    components: Mapping[str, Mapping[str, object]] = field(default_factory=_frozen)
    thresholds: Mapping[str, Threshold] = field(default_factory=_frozen)
    clusters: Mapping[str, ClusterConfig] = field(default_factory=_frozen)

    def threshold(self, key: str, cluster: str, level: str) -> float | None:
        """The ``level`` value of ``key`` for ``cluster``: its own if set, else the default."""
        own = self._overrides.get((key, level))
        if own is not None and cluster in own:
            return own[cluster]
        return self.thresholds[key].level(level)

    def nodata_hold(self, cluster: str | None) -> float:
        """How long a firing problem of ``cluster`` is held without data: its file's, else the global value."""
        own = self.clusters.get(cluster) if cluster is not None else None
        if own is not None and own.nodata_hold is not None:
            return own.nodata_hold
        return self.evaluation.nodata_hold

    def stale_after(self, cluster: str) -> float:
        """How old the newest sample of ``cluster``'s feed may be before it is "Data stale"."""
        own = self.clusters.get(cluster)
        if own is not None and own.stale_after is not None:
            return own.stale_after
        return self.evaluation.stale

    @cached_property
    def _overrides(self) -> dict[tuple[str, str], dict[str, float | None]]:
        """``{(key, level): {cluster: value}}`` of every value a cluster file sets.

        A cycle over 1,000 clusters asks ``threshold`` 70,000 times; one small dict per key and
        level answers each with one look-up instead of a walk through the cluster's mappings.
        Built on first use (the dataclass stays frozen: the value lives beside its fields).
        """
        table: dict[tuple[str, str], dict[str, float | None]] = {}
        for name, cluster in self.clusters.items():
            for key, levels in cluster.thresholds.items():
                for level, value in levels.items():
                    table.setdefault((key, level), {})[name] = value
        return table
