"""Log counts from Elasticsearch 7 or 8, through the elasticsearch-py 8 client.

The client is pinned to the server's major version by the media type: every request says
``application/vnd.elasticsearch+json; compatible-with=<version>`` in ``Accept`` and
``Content-Type``, ``version`` being the configured server major (7 or 8). Elasticsearch 8
takes 8 (and 7); Elasticsearch 7.14+ takes 7 and refuses 8 with 406. 7.14 is also the first 7.x
that sends the ``X-Elastic-Product: Elasticsearch`` header the client insists on.

Errors become ``SourceError`` (the query was refused: bad query, missing index, credentials,
wrong version, not Elasticsearch) or ``SourceUnavailable`` (refused connection, timeout,
429/502/503/504 still answered after the client's retries), each naming the server, the index
and what to check.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import elastic_transport
import elasticsearch

from khp.configuration import Config, ConfigError, ConfigSection

from ._errors import SourceError, SourceUnavailable
from ._esquery import AnswerShapeError, LogFields, count_body, read_samples, truncated
from ._model import LogQuery, Sample

VERSIONS = (7, 8)
RETRIED_STATUSES = (429, 502, 503, 504)
_OPTIONS = (
    "hosts",
    "url",
    "index",
    "version",
    "timeout",
    "retries",
    "auth",
    "verify_certs",
    "ca_certs",
    "fields",
    "buckets",
)


@dataclass(frozen=True)
class ElasticsearchOptions:
    """``sources.logs`` of type ``elasticsearch``, validated."""

    hosts: tuple[str, ...] = ("http://127.0.0.1:9200",)
    index: str = "khp-logs-*"
    version: int = 8
    timeout: float = 10.0
    retries: int = 3
    api_key: str | tuple[str, str] | None = field(default=None, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    verify_certs: bool = True
    ca_certs: str | None = None
    fields: LogFields = field(default_factory=LogFields)
    cluster_buckets: int = 1000
    host_buckets: int = 10000
    connections: int = 10  # per node; as many as queries may run at once
    where: str = "sources.logs"  # the config file and key, for hints in error messages

    @property
    def media_type(self) -> str:
        return f"application/vnd.elasticsearch+json; compatible-with={self.version}"


class ElasticsearchLogs:
    """Log counts (``LogSource``) and raw aggregation queries against Elasticsearch."""

    name = "elasticsearch"

    def __init__(self, options: ElasticsearchOptions, client: elasticsearch.Elasticsearch | None = None) -> None:
        self.options = options
        self.client = client if client is not None else _client(options)
        self.server = f"elasticsearch {', '.join(options.hosts)}"

    def count(self, query: LogQuery) -> list[Sample]:
        """Per host (or per cluster), the log lines of ``query`` in its window; only counts above 0."""
        what = f"log count of {query.service}/{query.role}/{query.pattern}"
        if query.clusters is not None and not query.clusters:
            return []
        body = count_body(query, self.options.fields, self.options.cluster_buckets, self.options.host_buckets)
        answer = self._search(self.options.index, body, what)
        try:
            samples = read_samples(answer)
        except AnswerShapeError as exc:
            raise SourceError(self.server, f"{what} in index {self.options.index!r}: {exc}") from None
        cut = truncated(answer)
        if cut is not None:
            setting = "buckets.clusters" if cut == "by_cluster" else "buckets.hosts"
            raise SourceError(
                self.server,
                f"{what} in index {self.options.index!r}: aggregation {cut} has more keys than its size, so "
                f"some counts are missing; raise {self.options.where}.{setting}",
            )
        return [sample for sample in samples if sample.value > 0]

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> list[Sample]:
        """Run ``body`` as it is on ``index`` (the configured pattern by default); its aggregations as samples.

        The answer must hold a terms aggregation named ``by_cluster`` whose buckets are the
        clusters; a terms aggregation named ``by_host`` inside each cluster bucket makes the
        answer host-level. A bucket's value is its single-value metric sub-aggregation named
        ``value`` if it has one (a null value leaves the bucket out), else its ``doc_count``.
        Every bucket becomes a sample, even one of value 0. The body carries its own time
        range and cluster filter; nothing is added to it, and a terms size that leaves keys out
        is the body's choice, not an error. Samples are sorted by cluster, host. A partial
        answer (failed shards, timed out) is a ``SourceError``, as for ``count``.
        """
        index = index or self.options.index
        answer = self._search(index, body, "raw query")
        try:
            return read_samples(answer)
        except AnswerShapeError as exc:
            raise SourceError(self.server, f"raw query in index {index!r}: {exc}") from None

    def close(self) -> None:
        self.client.close()

    def _search(self, index: str, body: Mapping[str, Any], what: str) -> Mapping[str, Any]:
        path = f"/{urllib.parse.quote(index, safe=',*')}/_search"
        headers = {"accept": self.options.media_type, "content-type": self.options.media_type}
        try:
            response = self.client.perform_request(
                "POST", path, headers=headers, body=dict(body), endpoint_id="search", path_parts={"index": index}
            )
        except (elasticsearch.ApiError, elastic_transport.TransportError) as exc:
            raise self._explain(exc, f"{what} in index {index!r}") from None
        answer = response.body
        if not isinstance(answer, Mapping):
            raise SourceError(self.server, f"{what} in index {index!r}: the answer is not a JSON object")
        shards = answer.get("_shards", {})
        if answer.get("timed_out") or shards.get("failed", 0) > 0:
            failures = shards.get("failures") or [{}]
            reason = _error_text(failures[0].get("reason"))
            raise SourceError(
                self.server,
                f"{what} in index {index!r}: partial answer ({shards.get('failed', 0)} of {shards.get('total', '?')} "
                f"shards failed{', timed out' if answer.get('timed_out') else ''}{': ' + reason if reason else ''})",
            )
        return answer

    def _explain(self, exc: Exception, what: str) -> SourceError:
        where = self.options.where
        if isinstance(exc, elasticsearch.UnsupportedProductError):
            return SourceError(
                self.server,
                f"{what}: the server answered without the header 'X-Elastic-Product: Elasticsearch', so the client "
                f"refused the answer; check that {where}.hosts points at Elasticsearch 7.14 or later and not at "
                "another product or a proxy that drops response headers",
            )
        if isinstance(exc, elasticsearch.ApiError):
            status = exc.meta.status
            error = _error_text(exc.body) or str(exc.message)
            kind = _error_type(exc.body)
            said = f"{what}: Elasticsearch answered {status} {error}"
            if status in RETRIED_STATUSES:
                return SourceUnavailable(
                    self.server, f"{said}, still after {self.options.retries} retries; it is overloaded or unavailable"
                )
            if status == 406 or kind == "media_type_header_exception":
                return SourceError(
                    self.server,
                    f"{said}; it refused 'compatible-with={self.options.version}': set {where}.version to the "
                    f"server's major version ({' or '.join(map(str, VERSIONS))})",
                )
            if kind == "index_not_found_exception":
                return SourceError(self.server, f"{said}; check {where}.index (or the index given to the raw query)")
            if status == 401:
                return SourceError(self.server, f"{said}; check the credentials of {where}.auth and its environment")
            if status == 403:
                return SourceError(
                    self.server, f"{said}; the user or API key of {where}.auth needs the 'read' privilege on the index"
                )
            if status == 400:
                hint = (
                    "check the raw query body"
                    if what.startswith("raw")
                    else f"check the pattern and {where}.fields (aggregated fields must be keyword fields)"
                )
                return SourceError(self.server, f"{said}; the query was refused, {hint}")
            return SourceError(self.server, said)
        if isinstance(exc, elastic_transport.ConnectionTimeout):
            return SourceUnavailable(
                self.server,
                f"{what}: no answer within {self.options.timeout:g}s; check the server's load or raise {where}.timeout",
            )
        if isinstance(exc, elastic_transport.TlsError):
            return SourceUnavailable(self.server, f"{what}: {exc}; check {where}.ca_certs and {where}.verify_certs")
        if isinstance(exc, elastic_transport.ConnectionError):
            return SourceUnavailable(
                self.server,
                f"{what}: cannot connect ({_innermost(exc)}; tried {self.options.retries + 1} times); is "
                f"Elasticsearch running there, and is {where}.hosts right?",
            )
        if isinstance(exc, elastic_transport.SerializationError):
            return SourceError(self.server, f"{what}: the answer is not JSON ({exc}); is {where}.hosts Elasticsearch?")
        return SourceUnavailable(self.server, f"{what}: {exc}")


def elasticsearch_logs(
    config: Config, store: Any = None, *, environ: Mapping[str, str] | None = None
) -> ElasticsearchLogs:
    """The ``elasticsearch`` log source ``config.sources.logs`` describes (``store`` is not used)."""
    options = elasticsearch_options(config, environ)
    try:
        return ElasticsearchLogs(options)
    except ValueError as exc:  # the client's own checks of the node URLs
        raise ConfigError(config.file, "sources.logs.hosts", str(exc)) from None


def elasticsearch_options(config: Config, environ: Mapping[str, str] | None = None) -> ElasticsearchOptions:
    """Validate ``config.sources.logs.options``; a ``ConfigError`` names the file and the dotted key."""
    environ = os.environ if environ is None else environ
    section = ConfigSection(config.file, "sources.logs", dict(config.sources.logs.options))
    section.only(_OPTIONS)
    defaults = ElasticsearchOptions()
    version = section.data.get("version", defaults.version)
    if isinstance(version, bool) or version not in VERSIONS:
        raise section.error("version", f"expected the server's major version, 7 or 8, got {version!r}")
    api_key, basic_auth = _auth(section.section("auth"), environ)
    hosts = _hosts(section)
    ca_certs = section.string("ca_certs") if section.has("ca_certs") else None
    if ca_certs is not None and not Path(ca_certs).is_file():
        raise section.error("ca_certs", f"{ca_certs} is not a file; give the PEM file of the CA that signed the server")
    if ca_certs is not None and not any(h.startswith("https:") for h in hosts):
        raise section.error("ca_certs", "only means something with https:// hosts")
    buckets = section.section("buckets")
    buckets.only(("clusters", "hosts"))
    options = ElasticsearchOptions(
        hosts=hosts,
        index=section.string("index", defaults.index),
        version=version,
        timeout=section.duration("timeout", defaults.timeout),
        retries=section.integer("retries", defaults.retries, minimum=0),
        api_key=api_key,
        basic_auth=basic_auth,
        verify_certs=section.boolean("verify_certs", defaults.verify_certs),
        ca_certs=ca_certs,
        fields=_fields(section.section("fields")),
        cluster_buckets=buckets.integer("clusters", defaults.cluster_buckets),
        host_buckets=buckets.integer("hosts", defaults.host_buckets),
        connections=max(defaults.connections, config.evaluation.parallel_queries),
        where=f"{config.file}: sources.logs" if config.file else "sources.logs",
    )
    return options


def _hosts(section: ConfigSection) -> tuple[str, ...]:
    if section.has("hosts") and section.has("url"):
        raise section.error("url", "give either hosts (a list) or url (one), not both")
    hosts = (section.string("url"),) if section.has("url") else section.strings("hosts", ElasticsearchOptions.hosts)
    if not hosts:
        raise section.error("hosts", "expected at least one URL like 'http://es1:9200'")
    for number, host in enumerate(hosts):
        parts = urllib.parse.urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.port is None:
            key = "url" if section.has("url") else f"hosts[{number}]"
            raise section.error(key, f"expected a URL with scheme, host and port like 'https://es1:9200', got {host!r}")
    return hosts


ApiKey = str | tuple[str, str]


def _auth(section: ConfigSection, environ: Mapping[str, str]) -> tuple[ApiKey | None, tuple[str, str] | None]:
    section.only(("api_key_env", "username", "password_env"))
    if section.has("api_key_env"):
        if section.has("username") or section.has("password_env"):
            raise section.error("api_key_env", "give either api_key_env or username and password_env, not both")
        key = _secret(section, "api_key_env", environ, "the API key ('id:api_key' or its base64 'encoded' form)")
        identifier, colon, secret = key.partition(":")
        return ((identifier, secret) if colon else key), None
    if section.has("username") or section.has("password_env"):
        user = section.string("username")
        return None, (user, _secret(section, "password_env", environ, f"the password of {user!r}"))
    return None, None


def _secret(section: ConfigSection, key: str, environ: Mapping[str, str], what: str) -> str:
    variable = section.string(key)
    value = environ.get(variable, "")
    if not value:
        raise section.error(key, f"environment variable {variable} is not set; export {what} in it")
    return value


def _fields(section: ConfigSection) -> LogFields:
    defaults = LogFields()
    names = tuple(defaults.__dataclass_fields__)
    section.only(names)
    return LogFields(**{name: section.string(name, getattr(defaults, name)) for name in names})


def _client(options: ElasticsearchOptions) -> elasticsearch.Elasticsearch:
    tls: dict[str, Any] = {}
    if any(host.startswith("https:") for host in options.hosts):
        # Turning verification off is an explicit choice in the config: no warning on each start.
        tls = {"verify_certs": options.verify_certs, "ssl_show_warn": options.verify_certs}
        if options.ca_certs:
            tls["ca_certs"] = options.ca_certs
    auth: dict[str, Any] = {}
    if options.api_key is not None:
        auth["api_key"] = options.api_key
    if options.basic_auth is not None:
        auth["basic_auth"] = options.basic_auth
    return elasticsearch.Elasticsearch(
        list(options.hosts),
        request_timeout=options.timeout,
        max_retries=options.retries,
        retry_on_status=RETRIED_STATUSES,
        retry_on_timeout=False,
        connections_per_node=options.connections,
        **tls,
        **auth,
    )


def _innermost(exc: BaseException) -> str:
    """The first cause of a transport error, without the wrappers around it."""
    while getattr(exc, "errors", None):
        exc = exc.errors[0]  # type: ignore[attr-defined]
    return str(exc)


def _error_type(body: Any) -> str:
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        causes = error.get("root_cause") or [error]
        return str(causes[0].get("type", error.get("type", "")))
    return ""


def _error_text(body: Any) -> str:
    """``type: reason`` of an error body's first root cause (or of a shard failure's reason)."""
    error = body.get("error", body) if isinstance(body, Mapping) else body
    if isinstance(error, str):
        return error
    if not isinstance(error, Mapping):
        return ""
    cause = (error.get("root_cause") or [error])[0]
    text = f"{cause.get('type', 'error')}: {cause.get('reason', '')}".rstrip(": ")
    if error.get("type") and error.get("type") != cause.get("type"):
        text += f" ({error['type']}: {error.get('reason', '')})".replace(": )", ")")
    return text
