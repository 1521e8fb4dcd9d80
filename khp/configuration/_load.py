"""Read ``khp.yml`` and the cluster files into a ``Config``, or fail naming file and key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ._errors import ConfigError
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
    _frozen,
)
from ._reader import Section

COMPONENT_SECTIONS = ("receiver", "history", "console")
_TOP_KEYS = (
    "sources",
    "store",
    "monitors",
    "evaluation",
    "inventory",
    "alertmanager",
    "routing",
    "heartbeat",
    "silences",
    "exporter",
    "links",
    "thresholds",
    "clusters_dir",
    *COMPONENT_SECTIONS,
)
_CLUSTER_KEYS = ("thresholds", "channels", "pending", "hosts", "routing", "nodata_hold", "stale_after")
_TIMINGS = ("group_wait", "group_interval", "repeat_interval")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_THRESHOLD_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROLE = re.compile(r"^[^/\s]+/[^/\s]+$")
SOURCE_KINDS = ("metrics", "logs", "processes")


def load_config(path: str | Path) -> Config:
    """Load ``khp.yml`` at ``path`` and every ``*.yml`` in its ``clusters_dir``."""
    path = Path(path)
    top = Section(str(path), "", _read_yaml(path))
    top.only(_TOP_KEYS)
    base = path.parent
    thresholds = _thresholds(top.section("thresholds"))
    clusters: dict[str, ClusterConfig] = {}
    if top.has("clusters_dir"):
        clusters_dir = _resolve(base, top.string("clusters_dir"))
        if not clusters_dir.is_dir():
            raise top.error("clusters_dir", f"{clusters_dir} is not a directory")
        for file in sorted(clusters_dir.glob("*.y*ml")):
            cluster = _cluster(file, thresholds)
            if cluster.name in clusters:  # alpha.yml and alpha.yaml: one would silently replace the other
                other = clusters[cluster.name].file
                raise ConfigError(str(file), "", f"cluster {cluster.name} is also defined by {other}; keep one file")
            clusters[cluster.name] = cluster
    return Config(
        file=str(path),
        sources=_sources(top.section("sources")),
        store=_store(top, base),
        monitors=tuple(_monitor_dirs(top, base)),
        evaluation=_evaluation(top.section("evaluation")),
        inventory=_inventory(top.section("inventory")),
        alertmanager=_alertmanager(top.section("alertmanager")),
        routing=_routing(top.section("routing")),
        heartbeat=_heartbeat(top.section("heartbeat")),
        silences=_silences(top.section("silences")),
        exporter=_exporter(top.section("exporter")),
        links=_links(top.section("links")),
        components=_frozen({name: _frozen(top.section(name).data) for name in COMPONENT_SECTIONS}),
        thresholds=_frozen(thresholds),
        clusters=_frozen(clusters),
    )


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found; pass --config or set KHP_CONFIG") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError(str(path), "", f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}") from None


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate


def _sources(section: Section) -> SourcesConfig:
    section.only(SOURCE_KINDS)
    built = {}
    for kind in SOURCE_KINDS:
        sub = section.section(kind)
        options = {k: v for k, v in sub.data.items() if k != "type"}
        built[kind] = SourceConfig(type=sub.string("type", "embedded"), options=_frozen(options))
    return SourcesConfig(**built)


def _store(top: Section, base: Path) -> StoreConfig:
    raw = top.data.get("store")
    if raw is None:
        return StoreConfig(path=base / "var/khp.db")
    if isinstance(raw, str):
        return StoreConfig(path=_resolve(base, top.string("store")))
    if not isinstance(raw, Mapping):
        kind = f"{type(raw).__name__} {raw!r}"
        raise top.error("store", f"expected a file path or a mapping {{path, retention}}, got {kind}")
    section = top.section("store")
    section.only(("path", "retention"))
    return StoreConfig(
        path=_resolve(base, section.string("path", "var/khp.db")),
        retention=section.duration("retention", "7d"),
    )


BUNDLED_MONITORS = Path(__file__).resolve().parents[2] / "evaluator" / "monitors"


def _monitor_dirs(top: Section, base: Path) -> list[Path]:
    """The monitor directories; ``bundled`` names the bundled ones, which are the default."""
    dirs = []
    for index, entry in enumerate(top.strings("monitors", ("bundled",))):
        directory = BUNDLED_MONITORS if entry == "bundled" else _resolve(base, entry)
        if not directory.is_dir():
            raise ConfigError(top.file, f"monitors[{index}]", f"{directory} is not a directory of monitor modules")
        dirs.append(directory)
    return dirs


def _evaluation(section: Section) -> EvaluationConfig:
    section.only(
        (
            "interval",
            "window",
            "pending",
            "monitor_timeout",
            "parallel_monitors",
            "parallel_queries",
            "nodata_hold",
            "stale_after",
        )
    )
    window = section.duration("window", "10m")
    return EvaluationConfig(
        interval=section.duration("interval", "1m"),
        window=window,
        pending=section.duration("pending", "5m", positive=False),
        monitor_timeout=section.duration("monitor_timeout", "30s"),
        parallel_monitors=section.integer("parallel_monitors", 8),
        parallel_queries=section.integer("parallel_queries", 16),
        nodata_hold=section.duration("nodata_hold", "15m", positive=False),
        stale_after=_stale_after(section, window) if section.has("stale_after") else None,
    )


def _stale_after(section: Section, window: float) -> float:
    """A feed is only judged once a whole window has passed without it: ``stale_after`` must exceed the window."""
    seconds = section.duration("stale_after", 0)
    if seconds <= window:
        raise section.error(
            "stale_after", f"must be longer than evaluation.window ({window:g}s), got {seconds:g}s; default 3 windows"
        )
    return seconds


def _heartbeat(section: Section) -> HeartbeatConfig:
    section.only(("group_interval", "repeat_interval"))
    default = HeartbeatConfig()
    return HeartbeatConfig(
        group_interval=section.duration("group_interval", default.group_interval),
        repeat_interval=section.duration("repeat_interval", default.repeat_interval),
    )


def _inventory(section: Section) -> InventoryConfig:
    section.only(("process_pattern", "process_roles", "window"))
    default = InventoryConfig()
    pattern = section.string("process_pattern", default.process_pattern)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise section.error("process_pattern", f"not a regular expression: {exc}") from None
    if not {"service", "role"} <= set(compiled.groupindex):
        raise section.error("process_pattern", "must have the named groups (?P<service>...) and (?P<role>...)")
    roles = section.section("process_roles")
    for name, role in roles.data.items():
        if not isinstance(role, str) or not _ROLE.match(role):
            raise roles.error(str(name), f"expected 'service/role', got {role!r}")
    return InventoryConfig(
        process_pattern=pattern,
        process_roles=_frozen(roles.data),
        window=section.duration("window", "1d"),
    )


def _url(section: Section, key: str, url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise section.error(key, f"expected an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


def _alertmanager(section: Section) -> AlertmanagerConfig:
    section.only(("urls", "timeout", "resend_interval", "resolved_resend", "retries"))
    urls = section.strings("urls", AlertmanagerConfig().urls)
    if not urls:
        raise section.error("urls", "list at least one Alertmanager (every one gets every alert)")
    return AlertmanagerConfig(
        urls=tuple(_url(section, f"urls[{index}]", url) for index, url in enumerate(urls)),
        timeout=section.duration("timeout", "10s"),
        resend_interval=section.duration("resend_interval", "1m"),
        resolved_resend=section.duration("resolved_resend", "15m", positive=False),
        retries=section.integer("retries", 3, minimum=0),
    )


def _timings(section: Section, defaults: RouteTimings) -> RouteTimings:
    section.only(_TIMINGS)
    values = {key: section.duration(key, 0) if section.has(key) else getattr(defaults, key) for key in _TIMINGS}
    return RouteTimings(**values)


def _routing(section: Section) -> RoutingConfig:
    section.only(("receiver_url", "credentials_file", "channels", *_TIMINGS))
    default = RoutingConfig()
    timings = Section(section.file, section.key, {k: v for k, v in section.data.items() if k in _TIMINGS})
    return RoutingConfig(
        receiver_url=_url(section, "receiver_url", section.string("receiver_url", default.receiver_url)),
        credentials_file=section.string("credentials_file", default.credentials_file),
        channels=_channels(section.section("channels")),
        timings=_timings(timings, default.timings),
    )


def _channels(section: Section) -> Mapping[str, tuple[str, ...]]:
    """``{warning: [...], critical: [...]}``: rooms as ``channel:target`` (e.g. ``kakaowork:12345``)."""
    section.only(LEVELS)
    rooms = {}
    for level in LEVELS:
        if section.has(level):
            targets = section.strings(level)
            for index, target in enumerate(targets):
                if ":" not in target:
                    raise section.error(
                        f"{level}[{index}]", f"expected 'channel:target' like 'kakaowork:12345', got {target!r}"
                    )
            rooms[level] = targets
    return _frozen(rooms)


def _silences(section: Section) -> SilencesConfig:
    section.only(("max_maintenance", "max_mute"))
    return SilencesConfig(
        max_maintenance=section.duration("max_maintenance", "7d"), max_mute=section.duration("max_mute", "7d")
    )


def _exporter(section: Section) -> ExporterConfig:
    section.only(("listen",))
    listen = section.data.get("listen", ExporterConfig().listen)
    if listen in (None, ""):
        return ExporterConfig(listen="")
    if not isinstance(listen, str) or listen.rpartition(":")[2].isdigit() is False:
        raise section.error("listen", f"expected 'host:port' (or '' to turn the exporter off), got {listen!r}")
    return ExporterConfig(listen=listen)


def _links(section: Section) -> LinksConfig:
    section.only(("source",))
    template = section.string("source", LinksConfig().source)
    try:
        template.format(path="p", line=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise section.error("source", f"only {{path}} and {{line}} may be filled in ({exc})") from None
    return LinksConfig(source=template)


def _threshold_value(section: Section, level: str) -> float | None:
    if section.data.get(level) is None:
        return None
    return section.number(level)


def _thresholds(section: Section) -> dict[str, Threshold]:
    thresholds = {}
    for key in section.data:
        if not isinstance(key, str) or not _THRESHOLD_KEY.match(key):
            raise section.error(str(key), "a threshold key is a name of letters, digits and _")
        entry = section.section(key)
        entry.only(LEVELS)
        thresholds[key] = Threshold(
            warning=_threshold_value(entry, "warning"), critical=_threshold_value(entry, "critical")
        )
    return thresholds


def _cluster(file: Path, defaults: Mapping[str, Threshold]) -> ClusterConfig:
    name = file.stem
    if not _CLUSTER_NAME.match(name):
        raise ConfigError(str(file), "", "a cluster file is named after its cluster: letters, digits, '.', '_', '-'")
    top = Section(str(file), "", _read_yaml(file))
    top.only(_CLUSTER_KEYS)
    overrides: dict[str, Mapping[str, float | None]] = {}
    thresholds = top.section("thresholds")
    for key, value in thresholds.data.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise thresholds.error(str(key), f"unknown threshold; khp.yml defines: {known}")
        if value is None:
            overrides[key] = _frozen({"warning": None, "critical": None})
            continue
        entry = thresholds.section(key)
        entry.only(LEVELS)
        overrides[key] = _frozen({level: _threshold_value(entry, level) for level in LEVELS if level in entry.data})
    hosts = top.section("hosts")
    host_roles = {}
    for host in hosts.data:
        roles = hosts.strings(str(host))
        for index, role in enumerate(roles):
            if not _ROLE.match(role):
                raise ConfigError(str(file), f"hosts.{host}[{index}]", f"expected 'service/role', got {role!r}")
        host_roles[str(host)] = roles
    return ClusterConfig(
        name=name,
        file=str(file),
        thresholds=_frozen(overrides),
        channels=_channels(top.section("channels")),
        pending=top.duration("pending", 0, positive=False) if top.has("pending") else None,
        hosts=_frozen(host_roles),
        routing=_timings(top.section("routing"), RouteTimings()),
        nodata_hold=top.duration("nodata_hold", 0, positive=False) if top.has("nodata_hold") else None,
        stale_after=top.duration("stale_after", 0) if top.has("stale_after") else None,
    )
