"""Metric vectors from Prometheus' HTTP API (``/api/v1/query``), one instant query per metric query.

A host-level query asks for each host's latest finite value in the window,
``max by (cluster, host) (last_over_time(<selector>[<window>]) < Inf > -Inf)``, evaluated at the
window's end; an aggregate wraps that in ``max/min/sum/avg/count by (cluster) (...)``. Which
series holds ``service/role/name`` is configured (``SeriesMap``); every value that goes into
an expression is quoted or escaped (``_promql``), so no path or cluster name can change it.

Configuration (``sources.metrics`` of ``khp.yml``; secrets come from the environment)::

    metrics:
      type: prometheus
      url: http://prometheus:9090
      timeout: 10s
      series: {metric: khp_metric, labels: {service: service, role: role, name: name}}
      overrides:
        hdfs/namenode/MissingBlocks: {series: 'hadoop_namenode_missing_blocks{job="hadoop"}',
                                      host_label: instance, strip_port: true}
      auth: {token_env: KHP_PROMETHEUS_TOKEN}
"""

from __future__ import annotations

import math
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from khp.configuration import Config, ConfigError, ConfigSection

from ._errors import SourceError, SourceUnavailable
from ._model import MetricQuery, Sample
from ._promql import (
    LABEL_NAME,
    METRIC_NAME,
    TEMPLATE_FIELDS,
    Series,
    SeriesMap,
    latest_expression,
    parse_selector,
    result_host_label,
)

METHODS = ("POST", "GET")
_KEYS = ("url", "method", "timeout", "series", "overrides", "cluster_label", "host_label", "strip_port", "auth")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNAVAILABLE_TYPES = ("timeout", "canceled", "unavailable")


@dataclass(frozen=True)
class PrometheusOptions:
    """The validated options of a Prometheus metric source; credentials are already read from the environment."""

    url: str
    series: SeriesMap = field(default_factory=SeriesMap)
    method: str = "POST"
    timeout: float = 10.0
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    credentials_from: tuple[str, ...] = ()  # the environment variables they came from, for error messages


class PrometheusMetrics:
    """Metric vectors from a Prometheus server; thread-safe, one HTTP connection pool."""

    name = "prometheus"

    def __init__(
        self, options: PrometheusOptions, session: requests.Session | None = None, pool_size: int = 16
    ) -> None:
        self.options = options
        self.source = f"prometheus {options.url}"
        self._endpoint = options.url.rstrip("/") + "/api/v1/query"
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session
        self._headers = {"Accept": "application/json", "User-Agent": "khp-monitor"}
        if options.token is not None:
            self._headers["Authorization"] = f"Bearer {options.token}"
        self._auth: tuple[str, str] | None = None
        if options.username is not None and options.password is not None:
            self._auth = (options.username, options.password)

    def close(self) -> None:
        self._session.close()

    def expression(self, query: MetricQuery) -> str | None:
        """The PromQL sent for ``query``; ``None`` when there is nothing to ask (no clusters, empty window)."""
        range_ms = _ms(query.end) - _ms(query.start) - 1  # Prometheus 2.x ranges include their start: (start, end]
        if query.clusters == () or range_ms < 1:
            return None
        return latest_expression(self._series(query), range_ms, query.aggregate, query.clusters)

    def query(self, query: MetricQuery) -> list[Sample]:
        expression = self.expression(query)
        if expression is None:
            return []
        data = self._ask(expression, _ms(query.end), query.path)
        series = self._series(query)
        host_label = result_host_label(series) if query.aggregate is None else None
        try:
            if data["resultType"] != "vector":
                raise TypeError(f"resultType {data['resultType']!r}, expected 'vector'")
            samples = []
            for item in data["result"]:
                labels, value = item["metric"], float(item["value"][1])
                cluster = labels.get(series.cluster_label, "")
                host = labels.get(host_label, "") if host_label is not None else None
                if math.isfinite(value) and cluster and host != "":
                    samples.append(Sample(cluster, host, value))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SourceError(self.source, f"{query.path}: unexpected answer to {expression}: {exc!r}") from None
        return sorted(samples, key=lambda s: (s.cluster, s.host or ""))

    def _series(self, query: MetricQuery) -> Series:
        return self.options.series.series(query.service, query.role, query.name)

    def _ask(self, expression: str, at_ms: int, path: str) -> Mapping[str, Any]:
        timeout = self.options.timeout
        params = {"query": expression, "time": f"{at_ms // 1000}.{at_ms % 1000:03d}", "timeout": f"{_ms(timeout)}ms"}
        get = self.options.method == "GET"
        try:
            # Prometheus gives up after ``timeout`` and says so (503); the client waits a little longer for that.
            response = self._session.request(
                self.options.method,
                self._endpoint,
                params=params if get else None,
                data=None if get else params,
                headers=self._headers,
                auth=self._auth,
                timeout=(timeout, timeout + min(1.0, timeout / 2)),
            )
        except requests.Timeout:
            raise SourceUnavailable(self.source, f"{path}: no answer within {timeout:g}s") from None
        except requests.ConnectionError as exc:
            raise SourceUnavailable(self.source, f"{path}: cannot connect ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise SourceError(self.source, f"{path}: request failed ({exc})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if status == 200 and isinstance(body, dict) and body.get("status") == "success":
            data = body.get("data")
            if isinstance(data, dict):
                return data
        error_type = body.get("errorType") if isinstance(body, dict) else None
        if error_type:
            detail = f"{error_type}: {body.get('error', '')} (HTTP {status})"
        else:
            detail = f"HTTP {status}, answer {response.text[:200]!r}"
        if status in (502, 503, 504) or error_type in _UNAVAILABLE_TYPES:
            raise SourceUnavailable(self.source, f"{path}: Prometheus could not answer: {detail}")
        if status in (401, 403):
            hint = ", ".join(self.options.credentials_from) or "no credentials are configured (sources.metrics.auth)"
            raise SourceError(self.source, f"{path}: not allowed: {detail}; check {hint}")
        raise SourceError(self.source, f"{path}: query refused: {detail}; query: {expression}")


def prometheus_metrics(config: Config, store: object = None) -> PrometheusMetrics:
    """The Prometheus metric source ``config.sources.metrics`` describes (``store`` is not used)."""
    options = read_options(config.file, config.sources.metrics.options)
    return PrometheusMetrics(options, pool_size=config.evaluation.parallel_queries)


def read_options(
    file: str, options: Mapping[str, object], environ: Mapping[str, str] = os.environ, key: str = "sources.metrics"
) -> PrometheusOptions:
    """Validate the options of ``sources.metrics``; a ``ConfigError`` names ``file`` and the dotted key."""
    section = ConfigSection(file, key, options)
    section.only(_KEYS)
    if not section.has("url"):
        raise section.error("url", "required for type prometheus: the server's base URL, e.g. http://prometheus:9090")
    url = section.string("url")
    if not url.startswith(("http://", "https://")):
        raise section.error("url", f"expected an http:// or https:// URL, got {url!r}")
    if "@" in url.split("://", 1)[1].split("/", 1)[0]:
        raise section.error(
            "url", "must not hold credentials (secrets stay out of files); use auth.username_env and auth.password_env"
        )
    method = section.string("method", "POST").upper()
    if method not in METHODS:
        raise section.error("method", f"expected GET or POST, got {method!r}")
    labels = _Labels(
        _label(section, "cluster_label", "cluster"),
        _label(section, "host_label", "host"),
        section.boolean("strip_port", False),
    )
    series = _series_map(section.section("series"), labels, _overrides(section.section("overrides"), labels))
    username, password, token, names = _credentials(section.section("auth"), environ)
    return PrometheusOptions(url, series, method, section.duration("timeout", "10s"), username, password, token, names)


@dataclass(frozen=True)
class _Labels:
    cluster: str
    host: str
    strip_port: bool


def _label(section: ConfigSection, name: str, default: str) -> str:
    label = section.string(name, default)
    if not LABEL_NAME.match(label):
        raise section.error(name, f"{label!r} is not a label name (letters, digits and _, not starting with a digit)")
    return label


def _series_map(section: ConfigSection, labels: _Labels, overrides: Mapping[str, Series]) -> SeriesMap:
    common: dict[str, Any] = {
        "overrides": MappingProxyType(dict(overrides)),
        "cluster_label": labels.cluster,
        "host_label": labels.host,
        "strip_port": labels.strip_port,
    }
    section.only(("metric", "labels", "template"))
    if section.has("template"):
        if section.has("metric") or section.has("labels"):
            raise section.error("template", "give either template, or metric with labels, not both")
        template = section.string("template")
        fields = set()
        try:
            for _text, name, spec, conversion in string.Formatter().parse(template):
                if name is not None and (name not in TEMPLATE_FIELDS or spec or conversion):
                    raise ValueError(f"{{{name}}} cannot be filled in")
                fields.add(name)
        except ValueError as exc:
            raise section.error(
                "template", f"{exc}; use {{service}}, {{role}} and {{name}}, e.g. 'khp_{{service}}_{{role}}_{{name}}'"
            ) from None
        if "name" not in fields:
            raise section.error("template", "must contain {name}, or every metric of a role would be one series")
        return SeriesMap(template=template, **common)
    metric = section.string("metric", "khp_metric")
    if not METRIC_NAME.match(metric):
        raise section.error("metric", f"{metric!r} is not a metric name")
    parts_section = section.section("labels")
    parts_section.only(TEMPLATE_FIELDS)
    parts = {part: _label(parts_section, part, part) for part in TEMPLATE_FIELDS}
    if len(set(parts.values())) != len(parts):
        raise section.error("labels", f"service, role and name need three different labels, got {parts}")
    return SeriesMap(metric=metric, labels=MappingProxyType(parts), **common)


def _overrides(section: ConfigSection, default: _Labels) -> dict[str, Series]:
    overrides = {}
    for path, value in section.data.items():
        parts = str(path).split("/", 2)
        if not isinstance(path, str) or len(parts) != 3 or not all(parts):
            raise section.error(str(path), "a key here is a metric path 'service/role/name'")
        entry = section.section(path) if isinstance(value, Mapping) else None
        if entry is not None:
            entry.only(("series", "cluster_label", "host_label", "strip_port"))
            text = entry.string("series")
        elif isinstance(value, str) and value:
            text = value
        else:
            raise section.error(
                path, f"expected a selector like 'name{{label=\"value\"}}' or a mapping with series, got {value!r}"
            )
        try:
            selector = parse_selector(text)
        except ValueError as exc:
            raise ConfigError(section.file, section.path(path), str(exc)) from None
        if entry is None:
            overrides[path] = Series(selector, default.cluster, default.host, default.strip_port)
        else:
            overrides[path] = Series(
                selector,
                _label(entry, "cluster_label", default.cluster),
                _label(entry, "host_label", default.host),
                entry.boolean("strip_port", default.strip_port),
            )
    return overrides


def _credentials(
    section: ConfigSection, environ: Mapping[str, str]
) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    """(username, password, token, the variables they came from), read from the environment now."""
    keys = ("username_env", "password_env", "token_env")
    section.only(keys)
    if section.has("token_env") and (section.has("username_env") or section.has("password_env")):
        raise section.error("token_env", "give either token_env or username_env with password_env, not both")
    if section.has("username_env") != section.has("password_env"):
        missing = "password_env" if section.has("username_env") else "username_env"
        raise section.error(missing, "Basic auth needs both username_env and password_env")
    values: dict[str, str | None] = dict.fromkeys(keys)
    for key in keys:
        if not section.has(key):
            continue
        variable = section.string(key)
        if not _ENV_NAME.match(variable):
            raise section.error(key, f"{variable!r} is not an environment variable name")
        if not environ.get(variable):
            raise section.error(
                key,
                f"the environment variable {variable} is not set; secrets are never read"
                " from files: export it before starting khp",
            )
        values[key] = environ[variable]
    names = tuple(f"${section.data[key]}" for key in keys if section.has(key))
    return values["username_env"], values["password_env"], values["token_env"], names


def _ms(seconds: float) -> int:
    """Whole milliseconds (Prometheus' resolution) at or before ``seconds``."""
    return math.floor(round(seconds * 1000, 3))


def _reason(exc: BaseException) -> str:
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__
