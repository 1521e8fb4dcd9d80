"""Read ``khp.yml`` and the cluster files into a ``Config``, or fail naming file and key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ._cache import FileCache, build_with
from ._defaults import MonitorDefaults, monitor_defaults
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
from ._yaml import parse_yaml

COMPONENT_SECTIONS = ("receiver", "history", "console", "flapping", "hints")
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
CHANNEL_GROUP = "khp.channels"  # the receiver's channel plugins; named here so rooms can be checked at load


def load_config(path: str | Path, cache: FileCache | None = None) -> Config:
    """Load ``khp.yml`` at ``path`` and every ``*.yml`` in its ``clusters_dir``.

    With a ``cache`` (as ``LiveConfig`` keeps), only the files that changed since the last load
    through it are read again.
    """
    path = Path(path)
    if cache is not None:
        cache.begin()
    config = config_from(build_with(cache, "yaml", path, _read_yaml), path, cache=cache)
    if cache is not None:
        cache.end()
    return config


def config_from(
    data: Any,
    path: str | Path,
    clusters: Mapping[str, Any] | None = None,
    key: str = "",
    clusters_key: str = "",
    clusters_file: str | None = None,
    cache: FileCache | None = None,
) -> Config:
    """The ``Config`` of khp.yml content ``data`` read from ``path`` (relative paths resolve against its directory).

    ``clusters`` holds the content of further cluster files by cluster name, as a rule test file
    writes them inline; ``key`` and ``clusters_key`` are where ``data`` and ``clusters`` sit in
    ``path`` (or in ``clusters_file``), so that errors name them. With a ``cache``, cluster files
    and monitor modules that did not change are not read again.
    """
    path = Path(path)
    top = Section(str(path), key, data)
    top.only(_TOP_KEYS)
    base = path.parent
    dirs, templates = _monitor_dirs(top, base)
    monitors = tuple(dirs)
    defaults = monitor_defaults(monitors, cache)
    thresholds = _thresholds(top.section("thresholds"), defaults)
    found: dict[str, ClusterConfig] = {}
    if top.has("clusters_dir"):
        clusters_dir = _resolve(base, top.string("clusters_dir"))
        if not clusters_dir.is_dir():
            raise top.error("clusters_dir", f"{clusters_dir} is not a directory")
        for file in sorted(clusters_dir.glob("*.y*ml")):
            cluster = build_with(cache, "cluster", file, _cluster)
            _check_known(cluster, thresholds, defaults)
            if cluster.name in found:  # alpha.yml and alpha.yaml: one would silently replace the other
                other = found[cluster.name].file
                raise ConfigError(str(file), "", f"cluster {cluster.name} is also defined by {other}; keep one file")
            found[cluster.name] = cluster
    inline = Section(clusters_file or str(path), clusters_key, clusters)
    for name in inline.data:
        if not isinstance(name, str) or not _CLUSTER_NAME.match(name):
            raise inline.error(str(name), "a cluster name is letters, digits, '.', '_', '-'")
        section = inline.section(name)
        found[name] = _cluster_from(name, section)
        _check_known(found[name], thresholds, defaults, section.key)
    return Config(
        file=str(path),
        sources=_sources(top.section("sources")),
        store=_store(top, base),
        monitors=monitors,
        evaluation=_evaluation(top.section("evaluation")),
        inventory=_inventory(top.section("inventory")),
        alertmanager=_alertmanager(top.section("alertmanager")),
        routing=_routing(top.section("routing")),
        heartbeat=_heartbeat(top.section("heartbeat")),
        silences=_silences(top.section("silences")),
        exporter=_exporter(top.section("exporter")),
        links=_links(top.section("links"), templates),
        components=_frozen({name: _frozen(top.section(name).data) for name in COMPONENT_SECTIONS}),
        thresholds=_frozen(thresholds),
        clusters=_frozen(found),
    )


def prime_cache(cache: FileCache, config: Config) -> None:
    """Fill ``cache`` from ``config`` (loaded without it), so the next load reads only files changed since.

    The cluster files are taken from ``config`` as they are; ``khp.yml`` and the monitor modules
    are few and small, and are read again here.
    """
    for cluster in config.clusters.values():
        if cluster.file:
            cache.put("cluster", Path(cluster.file), cluster)
    try:
        build_with(cache, "yaml", Path(config.file), _read_yaml)
        monitor_defaults(config.monitors, cache)
    except ConfigError:
        pass  # broken since: the next load reads them and reports it
    cache.begin()  # what priming read is not what a load read


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found; pass --config or set KHP_CONFIG") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None
    return parse_yaml(text, str(path))


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


def _monitor_dirs(top: Section, base: Path) -> tuple[list[Path], dict[str, str]]:
    """The monitor directories, and the link templates some of them bring.

    An entry is a directory (``bundled`` names the bundled ones, which are the default) or
    ``{path: DIR, source: TEMPLATE}`` for a directory whose code lives in a repository of its own.
    """
    raw = top.data.get("monitors", ["bundled"])
    if not isinstance(raw, list):
        raise top.error("monitors", "expected a list of directories, e.g. [bundled, /srv/khp-rules/monitors]")
    dirs: list[Path] = []
    templates: dict[str, str] = {}
    for index, entry in enumerate(raw):
        key = f"monitors[{index}]"
        template = None
        if isinstance(entry, Mapping):
            section = Section(top.file, key, entry)
            section.only(("path", "source"))
            entry = section.string("path")
            if section.has("source"):
                template = _template(section, "source")
        elif not isinstance(entry, str) or not entry:
            raise ConfigError(
                top.file, key, f"expected a directory or {{path: DIR, source: LINK_TEMPLATE}}, got {entry!r}"
            )
        directory = BUNDLED_MONITORS if entry == "bundled" else _resolve(base, entry)
        if not directory.is_dir():
            raise ConfigError(top.file, key, f"{directory} is not a directory of monitor modules")
        dirs.append(directory)
        if template is not None:
            templates[str(directory.resolve())] = template
    return dirs, templates


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
                channel, colon, room = target.partition(":")
                if not colon or not channel or not room:
                    raise section.error(
                        f"{level}[{index}]", f"expected 'channel:target' like 'kakaowork:12345', got {target!r}"
                    )
                known = channel_names()
                if known and channel not in known:
                    raise section.error(
                        f"{level}[{index}]",
                        f"unknown channel {channel!r} in {target!r}; the channels are: {', '.join(known)}"
                        f" (a plugin adds one under the entry point group {CHANNEL_GROUP!r})",
                    )
            rooms[level] = targets
    return _frozen(rooms)


def channel_names() -> list[str]:
    """The chat channels installed (entry point group ``khp.channels``); empty if khp-monitor is not installed."""
    return sorted({point.name for point in entry_points(group=CHANNEL_GROUP)})


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


def _links(section: Section, directories: Mapping[str, str]) -> LinksConfig:
    section.only(("source",))
    template = _template(section, "source") if section.has("source") else LinksConfig().source
    return LinksConfig(source=template, directories=_frozen(directories))


def _template(section: Section, key: str) -> str:
    template = section.string(key)
    try:
        template.format(path="p", line=1)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise section.error(key, f"only {{path}} and {{line}} may be filled in ({exc!r})") from None
    return template


def _threshold_value(section: Section, level: str) -> float | None:
    if section.data.get(level) is None:
        return None
    return section.number(level)


def _thresholds(section: Section, defaults: MonitorDefaults) -> dict[str, Threshold]:
    """The monitors' defaults with khp.yml's levels on top: a level khp.yml names replaces the default's.

    ``key: null`` turns both levels off; a key no monitor declares keeps an unnamed level off.
    """
    thresholds = dict(defaults.thresholds)
    for key in section.data:
        if not isinstance(key, str) or not _THRESHOLD_KEY.match(key):
            raise section.error(str(key), "a threshold key is a name of letters, digits and _")
        default = defaults.thresholds.get(key, Threshold())
        if section.data[key] is None:
            thresholds[key] = Threshold(meaning=default.meaning)
            continue
        entry = section.section(key)
        entry.only(LEVELS)
        levels = {
            level: _threshold_value(entry, level) if entry.has(level) else default.level(level) for level in LEVELS
        }
        thresholds[key] = Threshold(**levels, meaning=default.meaning)
    return thresholds


def _check_known(
    cluster: ClusterConfig, defaults: Mapping[str, Threshold], declared: MonitorDefaults, where: str = ""
) -> None:
    """A cluster file may only set thresholds that khp.yml or a monitor defines (``where``: its key, inline)."""
    if declared.unreadable:  # an unreadable monitor may declare any key
        return
    for key in cluster.thresholds:
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            dotted = f"{where}.thresholds.{key}" if where else f"thresholds.{key}"
            raise ConfigError(cluster.file, dotted, f"unknown threshold; the monitors and khp.yml define: {known}")


def _cluster(file: Path) -> ClusterConfig:
    """A cluster file as read; which threshold keys exist is checked by ``_check_known``."""
    name = file.stem
    if not _CLUSTER_NAME.match(name):
        raise ConfigError(str(file), "", "a cluster file is named after its cluster: letters, digits, '.', '_', '-'")
    return _cluster_from(name, Section(str(file), "", _read_yaml(file)))


def _cluster_from(name: str, top: Section) -> ClusterConfig:
    """A cluster file's content (``top``) as the ``ClusterConfig`` of cluster ``name``."""
    top.only(_CLUSTER_KEYS)
    overrides: dict[str, Mapping[str, float | None]] = {}
    thresholds = top.section("thresholds")
    for key, value in thresholds.data.items():
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
                raise hosts.error(f"{host}[{index}]", f"expected 'service/role', got {role!r}")
        host_roles[str(host)] = roles
    return ClusterConfig(
        name=name,
        file=top.file,
        thresholds=_frozen(overrides),
        channels=_channels(top.section("channels")),
        pending=top.duration("pending", 0, positive=False) if top.has("pending") else None,
        hosts=_frozen(host_roles),
        routing=_timings(top.section("routing"), RouteTimings()),
        nodata_hold=top.duration("nodata_hold", 0, positive=False) if top.has("nodata_hold") else None,
        stale_after=top.duration("stale_after", 0) if top.has("stale_after") else None,
    )
