"""A rule test file, read once into frozen objects; every error names the file and the key.

```yaml
config: {monitors: [bundled]}          # khp.yml inline (paths relative to this file), or the path of one
clusters: {beta: {thresholds: {kudu_tablets_num_running: null}}}   # cluster files inline
monitors: [KuduMonitor]                # which monitors run (default: every one the config finds)
start: 2026-11-29T10:00:00Z            # the time of the first sample (this is the default)
interval: 1m                           # between samples (the default)
tests:
  - name: too many tablets
    metrics:
      - {path: kudu/tserver/server.tablets_num_running, cluster: alpha, host: t1, values: "1500 2500x5"}
    evaluate:
      - at: 5m                         # after start
        problems:
          - {check: Too many tablets, cluster: alpha, host: t1, severity: warning, value: 2500}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from khp.configuration import (
    LEVELS,
    Config,
    ConfigSection,
    config_from,
    parse_duration,
    parse_time,
    read_yaml,
)
from khp.records import PROCESS_STATES

from ._series import SeriesError, number_series, state_series

DEFAULT_START = "2026-11-29T10:00:00Z"
_TOP_KEYS = ("config", "clusters", "monitors", "start", "interval", "tests")
_TEST_KEYS = ("name", "monitors", "clusters", "metrics", "logs", "processes", "unreachable", "evaluate")
_EXPECTED_KEYS = ("check", "severity", "cluster", "host", "monitor", "value", "compare", "threshold", "description")


@dataclass(frozen=True)
class MetricSeries:
    """A metric of one host: a sample per interval from the start (``None``: none at that step)."""

    path: str
    cluster: str
    host: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class LogSeries:
    """Log lines of one host's ``service/role``: how many lines with ``message`` at each step."""

    path: str
    cluster: str
    host: str
    message: str
    level: str
    counts: tuple[float | None, ...]


@dataclass(frozen=True)
class ProcessSeries:
    """A Supervisor program on one host: its state at each step (``None``: not reported)."""

    name: str
    cluster: str
    host: str
    states: tuple[str | None, ...]
    spawnerr: str = ""
    description: str = ""


@dataclass(frozen=True)
class UnreachableSeries:
    """A host whose process manager (Supervisor) does not answer at the steps marked 1."""

    cluster: str
    host: str
    reason: str
    steps: tuple[float | None, ...]


@dataclass(frozen=True)
class Expected:
    """A problem a test expects; fields left out (``None`` in ``given``) match anything."""

    check: str
    severity: str
    cluster: str | None
    host: str | None = None
    monitor: str | None = None
    value: float | None = None
    compare: str | None = None
    threshold: float | None = None
    description: str | None = None
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Evaluation:
    """One evaluation time (seconds after the start) and the problems expected then."""

    at: float
    at_text: str
    problems: tuple[Expected, ...]
    checks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RuleTest:
    name: str
    config: Config | None  # the test's own, when it gives cluster files of its own; else the file's
    monitors: tuple[str, ...] | None
    metrics: tuple[MetricSeries, ...]
    logs: tuple[LogSeries, ...]
    processes: tuple[ProcessSeries, ...]
    unreachable: tuple[UnreachableSeries, ...]
    evaluations: tuple[Evaluation, ...]


@dataclass(frozen=True)
class RuleFile:
    file: str
    config: Config
    monitors: tuple[str, ...] | None
    start: float
    interval: float
    tests: tuple[RuleTest, ...]


def read_rule_file(path: str | Path) -> RuleFile:
    """Read a rule test file; a ``ConfigError`` names the file and the key of anything wrong."""
    path = Path(path)
    top = ConfigSection(str(path), "", read_yaml(path))
    top.only(_TOP_KEYS)
    config = _config(top, path, top.section("clusters"))
    start = _time(top, "start", DEFAULT_START)
    interval = top.duration("interval", "1m")
    tests = _list(top, "tests")
    if not tests:
        raise top.error("tests", "list at least one test: {name: ..., metrics: [...], evaluate: [...]}")
    return RuleFile(
        file=str(path),
        config=config,
        monitors=_names(top, "monitors"),
        start=start,
        interval=interval,
        tests=tuple(_test(section, top, path) for section in tests),
    )


def _config(top: ConfigSection, path: Path, clusters: ConfigSection) -> Config:
    """The file's ``config`` with the cluster files ``clusters`` (the file's, or a test's on top of them)."""
    raw = top.data.get("config")
    if isinstance(raw, str):
        khp_yml = path.parent / raw
        return config_from(
            read_yaml(khp_yml), khp_yml, clusters.data, clusters_key=clusters.key, clusters_file=str(path)
        )
    if raw is not None and not isinstance(raw, Mapping):
        raise top.error("config", f"expected khp.yml's keys or the path of a khp.yml, got {raw!r}")
    return config_from(raw or {}, path, clusters.data, key="config", clusters_key=clusters.key)


def _time(section: ConfigSection, key: str, default: str) -> float:
    value = section.data.get(key, default)
    if hasattr(value, "isoformat"):  # YAML reads an unquoted 2026-11-29T10:00:00Z as a datetime
        value = value.isoformat()
    try:
        return parse_time(value)
    except (ValueError, TypeError) as exc:
        raise section.error(key, str(exc)) from None


def _list(section: ConfigSection, key: str) -> list[ConfigSection]:
    value = section.data.get(key, [])
    if not isinstance(value, list):
        raise section.error(key, f"expected a list, got {type(value).__name__}")
    return [ConfigSection(section.file, section.path(f"{key}[{index}]"), item) for index, item in enumerate(value)]


def _names(section: ConfigSection, key: str) -> tuple[str, ...] | None:
    if not section.has(key):
        return None
    value = section.data[key]
    return (section.string(key),) if isinstance(value, str) else section.strings(key)


def _test(section: ConfigSection, top: ConfigSection, path: Path) -> RuleTest:
    section.only(_TEST_KEYS)
    evaluations = _list(section, "evaluate")
    if not evaluations:
        raise section.error("evaluate", "list at least one evaluation: {at: 5m, problems: [...]}")
    config = None
    if section.has("clusters"):  # this test's cluster files, on top of the file's
        own = section.section("clusters")
        merged = ConfigSection(own.file, own.key, {**top.section("clusters").data, **own.data})
        config = _config(top, path, merged)
    return RuleTest(
        name=section.string("name"),
        config=config,
        monitors=_names(section, "monitors"),
        metrics=tuple(_metric(item) for item in _list(section, "metrics")),
        logs=tuple(_log(item) for item in _list(section, "logs")),
        processes=tuple(_process(item) for item in _list(section, "processes")),
        unreachable=tuple(_unreachable(item) for item in _list(section, "unreachable")),
        evaluations=tuple(_evaluation(item) for item in evaluations),
    )


def _series(section: ConfigSection, key: str, read: Any) -> Any:
    if not section.has(key):
        raise section.error(key, "missing: the samples, one per interval, e.g. '5 5 7' or '0+10x5'")
    try:
        return read(section.data[key])
    except SeriesError as exc:
        raise section.error(key, str(exc)) from None


def _path(section: ConfigSection, parts: int) -> str:
    path = section.string("path")
    pieces = path.split("/", parts - 1)
    if len(pieces) != parts or not all(pieces):
        shape = "service/role/name" if parts == 3 else "service/role"
        raise section.error("path", f"expected {shape!r}, got {path!r}")
    return path


def _metric(section: ConfigSection) -> MetricSeries:
    section.only(("path", "cluster", "host", "values"))
    return MetricSeries(
        path=_path(section, 3),
        cluster=section.string("cluster"),
        host=section.string("host"),
        values=_series(section, "values", number_series),
    )


def _log(section: ConfigSection) -> LogSeries:
    section.only(("path", "cluster", "host", "message", "level", "counts"))
    return LogSeries(
        path=_path(section, 2),
        cluster=section.string("cluster"),
        host=section.string("host"),
        message=section.string("message"),
        level=section.string("level", "WARN"),
        counts=_series(section, "counts", lambda text: number_series(text, whole=True)),
    )


def _process(section: ConfigSection) -> ProcessSeries:
    section.only(("name", "cluster", "host", "states", "spawnerr", "description"))
    return ProcessSeries(
        name=section.string("name"),
        cluster=section.string("cluster"),
        host=section.string("host"),
        states=_series(section, "states", lambda text: state_series(text, lambda name: name in PROCESS_STATES)),
        spawnerr=_optional_text(section, "spawnerr"),
        description=_optional_text(section, "description"),
    )


def _unreachable(section: ConfigSection) -> UnreachableSeries:
    section.only(("cluster", "host", "reason", "steps"))
    return UnreachableSeries(
        cluster=section.string("cluster"),
        host=section.string("host"),
        reason=section.string("reason", "connection refused"),
        steps=_series(section, "steps", lambda text: number_series(text, whole=True)),
    )


def _optional_text(section: ConfigSection, key: str) -> str:
    return section.string(key) if section.has(key) else ""


def _evaluation(section: ConfigSection) -> Evaluation:
    section.only(("at", "checks", "problems"))
    at = section.data.get("at")
    if at is None:
        raise section.error("at", "missing: when to evaluate, after the start (0m, 5m, 1h30m)")
    try:
        offset = parse_duration(at)
    except ValueError as exc:
        raise section.error("at", f"{exc}; it is a time after the start") from None
    problems = section.data.get("problems")
    if not isinstance(problems, list):
        raise section.error("problems", "expected a list of the problems expected then ([] for none)")
    return Evaluation(
        at=offset,
        at_text=str(at),
        problems=tuple(_expected(item) for item in _list(section, "problems")),
        checks=_names(section, "checks"),
    )


def _expected(section: ConfigSection) -> Expected:
    section.only(_EXPECTED_KEYS)
    severity = section.string("severity")
    if severity not in LEVELS:
        raise section.error("severity", f"expected {' or '.join(LEVELS)}, got {severity!r}")
    given = frozenset(key for key in _EXPECTED_KEYS if key in section.data)
    return Expected(
        check=section.string("check"),
        severity=severity,
        cluster=_nullable_text(section, "cluster"),
        host=_nullable_text(section, "host"),
        monitor=_nullable_text(section, "monitor"),
        value=_nullable_number(section, "value"),
        compare=_nullable_text(section, "compare"),
        threshold=_nullable_number(section, "threshold"),
        description=_nullable_text(section, "description"),
        given=given,
    )


def _nullable_text(section: ConfigSection, key: str) -> str | None:
    if section.data.get(key) is None:
        return None
    return section.string(key)


def _nullable_number(section: ConfigSection, key: str) -> float | None:
    if section.data.get(key) is None:
        return None
    return section.number(key)


def decimals(number: float) -> int:
    """How many decimals ``number`` was written with: ``49.3`` has 1, ``2500`` none, ``1e-05`` 5."""
    try:
        exponent = Decimal(repr(number)).as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0
