"""Metrics from Apache Druid over its SQL API, through pydruid's DB-API.

``sources.metrics`` in ``khp.yml``::

    sources:
      metrics:
        type: druid
        url: http://druid-broker:8082          # Broker or Router; the path defaults to /druid/v2/sql/
        datasource: khp-service-metrics        # the default
        timeout: 10s                           # per query, enforced by Druid and by the client
        username: khp-monitor                  # Basic auth, with the password from the environment
        password_env: DRUID_PASSWORD           # ... or jwt_env: DRUID_JWT for a Bearer token
        context: {priority: 10}                # extra query context, e.g. priority or lane

Every query is one POST with ``sqlQueryId`` (named in every error), ``sqlTimeZone: UTC`` and
Druid's own ``timeout``. pydruid's cursor does the DB-API part; its transport is replaced
because pydruid 0.6.9 posts without a timeout (a hung broker would hold a query thread
forever), hides the HTTP status, fails on error bodies without ``errorMessage``, and accepts
a body Druid cut off mid-stream as a shorter but complete answer, which would turn missing
hosts into recoveries. Here the request has connect and read timeouts plus a deadline for
the whole answer (checked as bytes arrive, so a server that trickles can hold a query for up
to about twice the timeout), and the body must be one complete JSON array.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from pydruid.db.api import BearerAuth, Cursor, get_description_from_row

from khp.configuration import Config, ConfigSection

from ._druid_sql import metric_sql
from ._errors import SourceError, SourceUnavailable
from ._model import MetricQuery, Sample

DEFAULT_PATH = "/druid/v2/sql/"  # pydruid's default, trailing slash included
DEFAULT_DATASOURCE = "khp-service-metrics"
_OPTIONS = ("url", "datasource", "timeout", "username", "password_env", "jwt_env", "context")
_OWN_CONTEXT = ("sqlQueryId", "sqlTimeZone", "timeout")
_SECRETS = {"password": "password_env", "jwt": "jwt_env", "token": "jwt_env"}


@dataclass(frozen=True)
class DruidOptions:
    """Where the Druid SQL API is and how to ask it; secrets already read from the environment."""

    url: str
    datasource: str = DEFAULT_DATASOURCE
    timeout: float = 10.0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_env: str | None = None
    jwt: str | None = field(default=None, repr=False)
    jwt_env: str | None = None
    context: Mapping[str, object] = field(default_factory=dict)

    @property
    def server(self) -> str:
        """``scheme://host:port`` of the Broker or Router, for messages."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def druid_options(config: Config, environ: Mapping[str, str] | None = None) -> DruidOptions:
    """Read and check ``sources.metrics`` of ``config``; a wrong value is a ``ConfigError`` naming the key."""
    environ = os.environ if environ is None else environ
    section = ConfigSection(config.file, "sources.metrics", config.sources.metrics.options)
    for key, instead in _SECRETS.items():
        if section.has(key):
            raise section.error(
                key,
                f"secrets never go in files; put it in an environment variable and name that variable with {instead}",
            )
    section.only(_OPTIONS)
    if not section.has("url"):
        raise section.error("url", "required: the Druid Broker or Router, e.g. http://druid-broker:8082")
    username = section.string("username") if section.has("username") else None
    if section.has("jwt_env") and (username is not None or section.has("password_env")):
        raise section.error("jwt_env", "use either username with password_env (Basic auth) or jwt_env, not both")
    if username is not None and not section.has("password_env"):
        raise section.error(
            "password_env",
            f"username {username!r} needs the name of the environment variable "
            "holding its password, e.g. password_env: DRUID_PASSWORD",
        )
    if section.has("password_env") and username is None:
        raise section.error("username", "password_env is set, so name the user too")
    password_env = _env_name(section, "password_env")
    jwt_env = _env_name(section, "jwt_env")
    return DruidOptions(
        url=_sql_url(section),
        datasource=section.string("datasource", DEFAULT_DATASOURCE),
        timeout=section.duration("timeout", "10s"),
        username=username,
        password=_secret(section, "password_env", password_env, environ),
        password_env=password_env,
        jwt=_secret(section, "jwt_env", jwt_env, environ),
        jwt_env=jwt_env,
        context=_context(section),
    )


def druid_metrics(
    config: Config,
    store: object = None,
    *,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> DruidMetrics:
    """The ``druid`` metric source type: built from ``sources.metrics`` (the store is not used)."""
    return DruidMetrics(druid_options(config, environ), session=session, connections=config.evaluation.parallel_queries)


class DruidMetrics:
    """Metric vectors from Druid SQL: one request per query, aggregates computed in Druid."""

    name = "druid"

    def __init__(
        self,
        options: DruidOptions,
        session: requests.Session | None = None,
        connections: int = 16,
        clock: Callable[[], float] = time.monotonic,
        query_id: Callable[[], str] = lambda: f"khp-{uuid.uuid4()}",
    ) -> None:
        self.options = options
        self.source = f"druid {options.server}"
        self._owns_session = session is None
        self._session = session if session is not None else _session(connections)
        self._query_id = query_id
        self._transport = _Transport(options, self._session, clock)

    def query(self, query: MetricQuery) -> list[Sample]:
        if query.clusters is not None and not query.clusters:
            return []
        query_id = self._query_id()
        context = {
            **self.options.context,
            "sqlQueryId": query_id,
            "sqlTimeZone": "UTC",
            "timeout": max(1, round(self.options.timeout * 1000)),
        }
        cursor = _Cursor(self._transport, context)
        asked = f"{query.aggregate or 'all'}('{query.path}')"
        try:
            rows = cursor.execute(metric_sql(query, self.options.datasource)).fetchall()
            return _samples(rows, host_level=query.aggregate is None)
        except _Failure as failure:
            error = SourceUnavailable if failure.unavailable else SourceError
            raise error(self.source, f"{asked}: {failure} [sqlQueryId {query_id}]") from None

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DruidMetrics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failure(Exception):
    """A query that got no usable answer; ``unavailable`` when Druid did not answer (in full or at all)."""

    def __init__(self, unavailable: bool, message: str) -> None:
        super().__init__(message)
        self.unavailable = unavailable


class _Cursor(Cursor):
    """pydruid's DB-API cursor over khp's transport (the module docstring says why)."""

    def __init__(self, transport: _Transport, context: Mapping[str, object]) -> None:
        super().__init__(transport.url, context=dict(context), header=False)
        self._transport = transport

    def _stream_query(self, query: str) -> Iterator[Any]:
        self.description = None
        rows = self._transport.rows(query, self.context, self.header)
        if not rows:
            return
        first = rows[0]
        self.description = list(first.items()) if self.header else get_description_from_row(first)
        row_type = _row_type(tuple(first))
        for row in rows:
            yield row_type(*row.values())


def _row_type(names: tuple[str, ...]) -> Any:
    """pydruid's row type: a namedtuple of the columns, renamed where a name is no identifier."""
    return namedtuple("Row", names, rename=True)


class _Transport:
    """Posts a query as pydruid does (``{query, context, header}``), within the timeout, and reads it whole."""

    def __init__(self, options: DruidOptions, session: requests.Session, clock: Callable[[], float]) -> None:
        self.url = options.url
        self.options = options
        self._session = session
        self._clock = clock
        self._auth: requests.auth.AuthBase | None = None
        if options.username is not None:  # as UTF-8 bytes, which Druid decodes; requests would use Latin-1
            self._auth = requests.auth.HTTPBasicAuth(options.username.encode(), (options.password or "").encode())
        elif options.jwt is not None:
            self._auth = BearerAuth(options.jwt)

    def rows(self, sql: str, context: Mapping[str, object], header: bool) -> list[dict[str, Any]]:
        timeout = self.options.timeout
        deadline = self._clock() + timeout
        payload = {"query": sql, "context": dict(context), "header": header}
        try:
            response = self._session.post(
                self.url,
                json=payload,
                auth=self._auth,
                stream=True,
                headers={"Content-Type": "application/json"},
                timeout=(timeout, timeout),
            )
        except requests.Timeout:
            raise _Failure(True, f"no answer within {timeout:g}s") from None
        except requests.RequestException as exc:
            raise _Failure(True, f"cannot reach {self.url}: {_reason(exc)}") from None
        with response:
            body = self._read(response, deadline)
            if response.status_code != 200:
                raise _http_failure(response.status_code, response.reason, body, self.options)
        return _parse(body)

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        chunks: list[bytes] = []
        try:
            for chunk in response.iter_content(8192):
                chunks.append(chunk)
                if self._clock() > deadline:
                    raise _Failure(True, f"answer not complete within {self.options.timeout:g}s")
        except requests.RequestException as exc:
            size = sum(map(len, chunks))
            raise _Failure(True, f"the connection broke off after {size} bytes of the answer: {_reason(exc)}") from None
        return b"".join(chunks)


def _parse(body: bytes) -> list[dict[str, Any]]:
    try:
        rows = json.loads(body.decode("utf-8"), object_pairs_hook=OrderedDict)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Failure(
            True,
            f"the answer stops after {len(body)} bytes without closing its JSON array: Druid "
            "failed while sending rows (its log has the reason under this sqlQueryId)",
        ) from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise _Failure(False, f"expected a JSON array of objects (resultFormat object), got {_snippet(body)}")
    return rows


def _samples(rows: list[Any], host_level: bool) -> list[Sample]:
    samples = []
    for row in rows:
        cluster, value = getattr(row, "cluster", None), getattr(row, "value", None)
        host = getattr(row, "host", None) if host_level else None
        if value is None or cluster is None or (host_level and host is None):
            continue  # no latest value, or a row not attributable to a cluster/host: nothing to compare
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _Failure(False, f"value {value!r} of {cluster}/{host} is not a number") from None
        if (
            not isinstance(cluster, str)
            or (host_level and not isinstance(host, str))
            or isinstance(value, bool)
            or not isinstance(value, (int, float))
        ):
            raise _Failure(False, f"unexpected row {tuple(row)!r}; expected cluster, host and a number")
        samples.append(Sample(cluster, host, float(value)))
    return sorted(samples, key=lambda s: (s.cluster, s.host or ""))


def _http_failure(status: int, reason: str, body: bytes, options: DruidOptions) -> _Failure:
    code, message = _druid_error(body)
    if message is not None and code is None and reason and reason in message:
        message = None  # a web server's page saying just its status
    detail = f"{status} {code or reason}" + (f": {message}" if message else "")
    if status == 400:
        return _Failure(False, f"Druid rejected the query ({detail})")
    if status == 401:
        if options.username is not None:
            hint = f"check username {options.username!r} and the password in ${options.password_env}"
        elif options.jwt is not None:
            hint = f"check the token in ${options.jwt_env}"
        else:
            hint = "Druid wants credentials: set username and password_env, or jwt_env"
        return _Failure(False, f"Druid did not accept the credentials ({detail}); {hint}")
    if status == 403:
        who = f"user {options.username!r}" if options.username else "this client"
        return _Failure(
            False,
            f"{who} may not read datasource {options.datasource!r} ({detail}); "
            f"grant READ on DATASOURCE {options.datasource}",
        )
    if status == 404:
        return _Failure(False, f"no Druid SQL API at {options.url} ({detail}); check sources.metrics.url")
    if status == 429:
        return _Failure(True, f"Druid is at its query capacity ({detail})")
    if status == 504:
        return _Failure(True, f"Druid gave up on the query ({detail})")
    if status in (502, 503):
        return _Failure(True, f"Druid is not available ({detail})")
    if status == 501:
        return _Failure(False, f"Druid does not support the query ({detail})")
    return _Failure(False, f"Druid failed to run the query ({detail})")


def _druid_error(body: bytes) -> tuple[str | None, str | None]:
    """(error code, message) of an error body: Druid's JSON (old or new style) or an HTML page."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = None
    if isinstance(payload, dict):
        if "Access-Check-Result" in payload:
            return None, _shorten(str(payload["Access-Check-Result"]))
        code = payload.get("error")
        if code == "druidException":  # Druid 28+ style: {error, errorCode, persona, category, errorMessage}
            code = payload.get("errorCode") or payload.get("category")
        message = payload.get("errorMessage")
        return (str(code) if code else None), (_shorten(str(message)) if message else None)
    title = re.search(rb"<title>(.*?)</title>", body, re.S | re.I)
    text = title.group(1) if title else body
    return None, _shorten(text.decode("utf-8", "replace")) or None


def _snippet(body: bytes) -> str:
    return repr(_shorten(body.decode("utf-8", "replace"), 80))


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: BaseException) -> str:
    """The useful part of a requests error: ``[Errno 111] Connection refused`` rather than the pool's story."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    return found.group(0).strip() if found else _shorten(text, 200)


def _session(connections: int) -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(connections, 1))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _sql_url(section: ConfigSection) -> str:
    raw = section.string("url")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise section.error("url", f"expected http(s)://host:port of a Druid Broker or Router, got {raw!r}")
    if parts.query or parts.fragment:
        raise section.error("url", f"expected no query string or fragment, got {raw!r}")
    path = parts.path if parts.path not in ("", "/") else DEFAULT_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _env_name(section: ConfigSection, key: str) -> str | None:
    if not section.has(key):
        return None
    name = section.string(key)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise section.error(key, f"expected the name of an environment variable, like DRUID_PASSWORD, got {name!r}")
    return name


def _secret(section: ConfigSection, key: str, name: str | None, environ: Mapping[str, str]) -> str | None:
    if name is None:
        return None
    value = environ.get(name)
    if not value:
        raise section.error(key, f"environment variable {name} is not set (or empty); export it before starting khp")
    return value


def _context(section: ConfigSection) -> Mapping[str, object]:
    context = section.section("context")
    for key, value in context.data.items():
        if key in _OWN_CONTEXT:
            what = "use sources.metrics.timeout" if key == "timeout" else "khp-monitor sets it on every query"
            raise context.error(str(key), f"not settable here: {what}")
        if isinstance(value, (dict, list)) or value is None:
            raise context.error(str(key), f"expected a string, number or true/false, got {type(value).__name__}")
    return dict(context.data)


__all__ = ["DEFAULT_DATASOURCE", "DEFAULT_PATH", "DruidMetrics", "DruidOptions", "druid_metrics", "druid_options"]
