"""A Druid SQL API stand-in on loopback, speaking the wire format of reference/wire-formats.md §1.

Use it as a fixture::

    @pytest.fixture
    def druid():
        with DruidStandIn() as server:
            yield server

    druid.load([MetricRow(time=..., cluster="alpha", host="a1", service="druid", ...)])
    pydruid.db.connect("127.0.0.1", druid.port).cursor().execute('SELECT ...').fetchall()
    druid.requests[-1].json["context"]      # what was sent: method, path, headers, body

``POST /druid/v2/sql/`` (with or without the slash) takes ``{query, resultFormat, header,
typesHeader, sqlTypesHeader, context, parameters}`` (or ``text/plain`` SQL) and answers from the
loaded rows: the SQL is parsed, checked and translated into SQLite over an in-memory table
per datasource (``__time`` in ms, ``cluster, host, service, role, name`` strings, ``value``
double), then evaluated there. The dialect is the narrow part of Druid SQL khp uses: SELECT
with FROM a datasource or a subquery, WHERE, GROUP BY (names, aliases, ordinals), HAVING,
ORDER BY, LIMIT; ``LATEST``/``EARLIEST`` (and ``_BY``), ``MAX MIN SUM AVG COUNT``,
``TIME_SHIFT``, ``TIME_FLOOR``, ``MILLIS_TO_TIMESTAMP``, ``TIMESTAMP_TO_MILLIS``, TIMESTAMP
literals and ``CURRENT_TIMESTAMP`` (``sqlCurrentTimestamp`` pins it) read in ``sqlTimeZone``,
``?`` parameters, ``= <> != < <= > >= IN BETWEEN IS NULL AND OR NOT + - * /``. Identifiers are
case-sensitive, ``"quoted"`` or bare; ``value`` and other reserved words must be quoted.
Anything else is refused as Druid refuses it: ``400 SQL parse failed`` for syntax, ``400 Plan
validation failed`` for unknown tables, columns, functions, ungrouped columns and misplaced
aggregates.

Answers are what Druid writes: ``resultFormat`` ``object`` (default), ``array``,
``objectLines``, ``arrayLines`` or ``csv``; with ``header`` the first row names the columns
(``null`` values, or ``{"type"}``/``{"sqlType"}`` with ``typesHeader``/``sqlTypesHeader``) and
``X-Druid-SQL-Header-Included: yes``; doubles as Java prints them (``1.0E7``); timestamps as
ISO strings; a chunked body with the ``X-Druid-Response-Complete`` trailer; the query id in
``X-Druid-SQL-Query-Id`` and ``X-Druid-Query-Id``. Errors are ``{error, errorMessage,
errorClass, host}`` with Druid's statuses; 401 and 403 come as Druid's security filters send
them (JSON without credentials, Jetty's HTML page for wrong ones, ``{"Access-Check-Result"}``).

Switches: ``require_basic(user, password)``, ``require_bearer(token)``, ``deny(user)``;
``fail_next(kind, times)`` and ``outage = kind`` with a kind of :data:`FAILURES` or
``"truncate"`` (rows, then the body ends without its ``]``, trailer complete=false, as Druid
does when a query fails mid-stream) or ``"drop"`` (the connection closes mid-row);
``hang`` (accept, never answer, until ``stop``); ``latency`` seconds per query (over the
query's context ``timeout`` it answers ``504 Query timeout`` at the timeout, as Druid does).
``peak_in_flight`` counts the most queries served at once.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from khp.records import MetricRow
from tests.standins import StandInServer

SQL_PATHS = ("/druid/v2/sql", "/druid/v2/sql/")
COLUMNS = {
    "__time": "TIMESTAMP",
    "cluster": "VARCHAR",
    "host": "VARCHAR",
    "service": "VARCHAR",
    "role": "VARCHAR",
    "name": "VARCHAR",
    "value": "DOUBLE",
}
"""The metric datasource's columns and their SQL types (DESIGN §3)."""

NATIVE_TYPES = {"VARCHAR": "STRING", "DOUBLE": "DOUBLE", "BIGINT": "LONG", "TIMESTAMP": "LONG", "BOOLEAN": "LONG"}
RESULT_FORMATS = ("object", "array", "objectLines", "arrayLines", "csv")


@dataclass(frozen=True)
class Failure:
    """An error answer of Druid: HTTP status, ``error`` code, ``errorClass`` and a typical message."""

    status: int
    error: str
    error_class: str
    message: str


FAILURES = {
    "sql_parse": Failure(
        400,
        "SQL parse failed",
        "org.apache.calcite.sql.parser.SqlParseException",
        'Encountered "FROM" at line 1, column 8.',
    ),
    "plan_validation": Failure(
        400,
        "Plan validation failed",
        "org.apache.calcite.tools.ValidationException",
        "org.apache.calcite.runtime.CalciteContextException: From line 1, column 62 to line 1,"
        " column 82: Object 'khp-service-metrics' not found",
    ),
    "resource_limit": Failure(
        400,
        "Resource limit exceeded",
        "org.apache.druid.query.ResourceLimitExceededException",
        "Subquery generated results beyond maximum[100000]",
    ),
    "capacity": Failure(
        429,
        "Query capacity exceeded",
        "org.apache.druid.query.QueryCapacityExceededException",
        "Too many concurrent queries, total query capacity of 20 exceeded. Please try your query again later.",
    ),
    "unsupported": Failure(
        501, "Unsupported operation", "org.apache.druid.query.QueryUnsupportedException", "Cannot build plan for query"
    ),
    "timeout": Failure(504, "Query timeout", "org.apache.druid.query.QueryTimeoutException", "Query [{id}] timed out."),
    "unknown": Failure(
        500,
        "Unknown exception",
        "java.lang.RuntimeException",
        "java.lang.RuntimeException: org.apache.druid.java.util.common.IOE: Channel disconnected",
    ),
    "invalid_input": Failure(
        400,
        "druidException",
        "INVALID_INPUT",  # Druid 28+ style body
        "Received an unexpected token [FROM] (line [1], column [8]), acceptable options: [...]",
    ),
    "unavailable": Failure(503, "", "", "Service Unavailable"),  # a proxy or Router with no Broker behind it
}
STREAM_FAILURES = ("truncate", "drop")


class DruidSqlError(Exception):
    """A query Druid refuses; ``failure`` is its answer."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.error}: {failure.message}")
        self.failure = failure


def parse_failed(message: str) -> DruidSqlError:
    return DruidSqlError(Failure(400, "SQL parse failed", "org.apache.calcite.sql.parser.SqlParseException", message))


def validation_failed(message: str) -> DruidSqlError:
    return DruidSqlError(
        Failure(
            400,
            "Plan validation failed",
            "org.apache.calcite.tools.ValidationException",
            f"org.apache.calcite.runtime.CalciteContextException: {message}",
        )
    )


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def sql(self) -> str | None:
        payload = self.json if self.headers.get("content-type", "").startswith("application/json") else None
        return payload.get("query") if isinstance(payload, dict) else self.body.decode()


class DruidStandIn:
    """A loopback HTTP server answering Druid SQL from fixture rows, evaluated in SQLite."""

    def __init__(self, datasource: str = "khp-service-metrics", clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.requests: list[Recorded] = []
        self.latency = 0.0
        self.chunk_size = 8192
        self.hang = False
        self.outage: str | None = None
        self.peak_in_flight = 0
        self._failures: list[str] = []
        self._users: dict[str, str] = {}
        self._tokens: set[str] = set()
        self._denied: set[str] = set()
        self._in_flight = 0
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.create_aggregate("druid_latest", 2, cast(Any, _Latest))
        self._db.create_aggregate("druid_earliest", 2, cast(Any, _Earliest))
        self._db.create_function("druid_time_shift", 3, _time_shift, deterministic=True)
        self._db.create_function("druid_time_floor", 2, _time_floor, deterministic=True)
        self._tables: set[str] = set()
        self._create(datasource)

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> DruidStandIn:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = StandInServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="druid-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._db.close()

    def __enter__(self) -> DruidStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the stand-in first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- fixtures and switches -------------------------------------------------------------------

    def load(self, rows: Iterable[MetricRow], datasource: str = "khp-service-metrics") -> None:
        """Add metric rows to ``datasource`` (created if new); ``time`` is epoch seconds."""
        with self._lock:
            self._create(datasource)
            self._db.executemany(
                f"INSERT INTO {_sqlite_name(datasource)} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(round(r.time * 1000), r.cluster, r.host, r.service, r.role, r.name, r.value) for r in rows],
            )
            self._db.commit()

    def require_basic(self, user: str, password: str) -> None:
        """Accept only requests with these Basic credentials (or another registered user or token)."""
        self._users[user] = password

    def require_bearer(self, token: str) -> None:
        """Accept only requests with ``Authorization: Bearer token`` (or another registered credential)."""
        self._tokens.add(token)

    def deny(self, user: str) -> None:
        """Authenticate ``user`` but refuse it READ on every datasource (403)."""
        self._denied.add(user)

    def fail_next(self, kind: str, times: int = 1) -> None:
        """Answer the next ``times`` queries with failure ``kind`` (a key of FAILURES, 'truncate' or 'drop')."""
        if kind not in FAILURES and kind not in STREAM_FAILURES:
            raise ValueError(f"unknown failure {kind!r}; known: {', '.join([*FAILURES, *STREAM_FAILURES])}")
        with self._lock:
            self._failures.extend([kind] * times)

    @property
    def queries(self) -> list[str | None]:
        """The SQL of every request, in order."""
        return [r.sql for r in self.requests]

    def execute(
        self, sql: str, context: Mapping[str, Any] | None = None, parameters: Sequence[Mapping[str, Any]] = ()
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        """(columns with SQL types, rows) of Druid SQL ``sql``, or ``DruidSqlError`` as Druid would refuse it."""
        context = context or {}
        zone = _zone(context.get("sqlTimeZone", "UTC"))
        now = context.get("sqlCurrentTimestamp")
        now_ms = _iso_millis(str(now)) if now is not None else round(self.clock() * 1000)
        with self._lock:
            tables = {name: dict(COLUMNS) for name in self._tables}
        compiled = _Compiler(tables, zone, now_ms, parameters).statement(_Parser(sql).statement())
        with self._lock:
            try:
                found = self._db.execute(compiled.sql, compiled.params).fetchall()
            except sqlite3.Error as exc:
                raise DruidSqlError(FAILURES["unknown"]) from exc
        return compiled.columns, [
            tuple(_output(v, t, zone) for v, (_, t) in zip(row, compiled.columns, strict=True)) for row in found
        ]

    # -- serving -------------------------------------------------------------------------------

    def _create(self, datasource: str) -> None:
        if datasource not in self._tables:
            columns = ", ".join(
                f"{_sqlite_name(c)} {'INTEGER' if t == 'TIMESTAMP' else 'REAL' if t == 'DOUBLE' else 'TEXT'}"
                for c, t in COLUMNS.items()
            )
            self._db.execute(f"CREATE TABLE {_sqlite_name(datasource)} ({columns})")
            self._tables.add(datasource)

    def _serve(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(Recorded(handler.command, path, headers, body))
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            self._answer(handler, path, headers, body)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, out: _Handler, path: str, headers: Mapping[str, str], body: bytes) -> None:
        if path not in SQL_PATHS:
            return _jetty_error(out, 404, "Not Found", path)
        if out.command != "POST":
            return _jetty_error(out, 405, "Method Not Allowed", path)
        denied = self._authenticate(out, headers.get("authorization"), path)
        if denied:
            return None
        request = _request(headers.get("content-type", ""), body)
        if isinstance(request, Failure):
            return _error(out, request, None)
        if isinstance(request, int):
            return _jetty_error(out, request, "Unsupported Media Type", path)
        context = request.get("context") or {}
        query_id = str(context.get("sqlQueryId") or uuid.uuid4())
        with self._lock:
            kind = self._failures.pop(0) if self._failures else self.outage
        if self.hang:
            self._release.wait()
            out.close_connection = True
            return None
        if kind in FAILURES:
            return _error(out, FAILURES[kind], query_id)
        timeout = context.get("timeout")
        if self.latency:
            limit = float(timeout) / 1000 if isinstance(timeout, (int, float)) and timeout > 0 else None
            if limit is not None and self.latency > limit:
                self._release.wait(limit)
                return _error(out, FAILURES["timeout"], query_id)
            self._release.wait(self.latency)
        try:
            columns, rows = self.execute(request["query"], context, request.get("parameters") or ())
            fmt = request.get("resultFormat", "object")
            payload = _format(
                fmt,
                columns,
                rows,
                bool(request.get("header")),
                bool(request.get("typesHeader")),
                bool(request.get("sqlTypesHeader")),
            )
        except DruidSqlError as exc:
            return _error(out, exc.failure, query_id)
        _stream(out, fmt, payload, query_id, bool(request.get("header")), self.chunk_size, kind)
        return None

    def _authenticate(self, out: _Handler, authorization: str | None, path: str) -> bool:
        """Answer 401/403 as Druid's security filters do and return True, or False to go on."""
        if not self._users and not self._tokens:
            return False
        if authorization is None:
            # PreResponseAuthorizationCheckFilter: no authenticator took the request.
            body = {"error": "Unauthorized", "errorMessage": None, "errorClass": None, "host": None}
            _send(out, 401, "application/json", json.dumps(body).encode(), {"WWW-Authenticate": "Basic"})
            return True
        scheme, _, credentials = authorization.partition(" ")
        user: str | None = None
        if scheme == "Basic" and self._users:
            try:
                pair = base64.b64decode(credentials, validate=True).decode().split(":")
            except ValueError:
                pair = []
            if len(pair) != 2 or self._users.get(pair[0]) != pair[1]:
                _jetty_error(out, 401, "Unauthorized", path)  # BasicHTTPAuthenticator: sendError(401)
                return True
            user = pair[0]
        elif scheme == "Bearer" and self._tokens:
            if credentials not in self._tokens:
                _jetty_error(out, 401, "Unauthorized", path)
                return True
            user = "token"
        else:
            _jetty_error(out, 401, "Unauthorized", path)
            return True
        if user in self._denied:
            _send(out, 403, "application/json", json.dumps({"Access-Check-Result": "Unauthorized"}).encode())
            return True
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as Jetty does; else small writes wait for delayed ACKs (40 ms)
    standin: DruidStandIn

    def version_string(self) -> str:
        return "Jetty(9.4.57.v20241219)"

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def _serve(self) -> None:
        self.standin._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


# -- HTTP answers ------------------------------------------------------------------------------


def _request(content_type: str, body: bytes) -> dict[str, Any] | Failure | int:
    """The SQL request in ``body``: a dict, a Failure to answer with, or 415."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "text/plain":
        return {"query": body.decode("utf-8", "replace")}
    if media == "application/x-www-form-urlencoded":
        return {"query": unquote_plus(body.decode("utf-8", "replace"))}
    if media != "application/json":
        return 415
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Failure(400, "Unknown exception", "com.fasterxml.jackson.core.JsonParseException", str(exc))
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return Failure(400, "Unknown exception", "java.lang.IllegalArgumentException", "query must be a string")
    if request.get("resultFormat", "object") not in RESULT_FORMATS:
        return Failure(
            400,
            "Unknown exception",
            "com.fasterxml.jackson.databind.exc.InvalidFormatException",
            f"Cannot deserialize value of type `ResultFormat` from String {request['resultFormat']!r}",
        )
    if not isinstance(request.get("context") or {}, dict) or not isinstance(request.get("parameters") or [], list):
        return Failure(
            400,
            "Unknown exception",
            "com.fasterxml.jackson.databind.exc.MismatchedInputException",
            "context must be an object and parameters a list",
        )
    return request


def _error(out: _Handler, failure: Failure, query_id: str | None) -> None:
    headers = {"X-Druid-SQL-Query-Id": query_id, "X-Druid-Query-Id": query_id} if query_id else {}
    if failure.status == 503:
        return _jetty_error(out, 503, "Service Unavailable", out.path)
    message = failure.message.replace("{id}", query_id or "")
    if failure.error == "druidException":
        body: dict[str, Any] = {
            "error": "druidException",
            "errorCode": "invalidInput",
            "persona": "USER",
            "category": failure.error_class,
            "errorMessage": message,
            "context": {},
        }
    else:
        body = {"error": failure.error, "errorMessage": message, "errorClass": failure.error_class, "host": None}
    _send(out, failure.status, "application/json", json.dumps(body).encode(), headers)
    return None


def _jetty_error(out: _Handler, status: int, reason: str, path: str) -> None:
    page = (
        f'<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
        f"<title>Error {status} {reason}</title>\n</head>\n<body><h2>HTTP ERROR {status} {reason}</h2>\n<table>\n"
        f"<tr><th>URI:</th><td>{path}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n"
        f"<tr><th>MESSAGE:</th><td>{reason}</td></tr>\n</table>\n\n</body>\n</html>\n"
    )
    extra = {"WWW-Authenticate": "Basic"} if status == 401 else {}
    _send(out, status, "text/html;charset=iso-8859-1", page.encode("latin-1"), extra)


def _send(
    out: _Handler, status: int, content_type: str, payload: bytes, headers: Mapping[str, str | None] | None = None
) -> None:
    out.send_response(status)
    out.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        if value is not None:
            out.send_header(name, value)
    out.send_header("Content-Length", str(len(payload)))
    out.end_headers()
    out.wfile.write(payload)


@dataclass(frozen=True)
class _Body:
    """A result as Druid's writer emits it: an opening (with the header), rows, and an ending."""

    opening: bytes
    rows: list[bytes]
    separator: bytes
    ending: bytes

    def whole(self) -> bytes:
        return self.opening + self.separator.join(self.rows) + self.ending

    def cut_between_rows(self) -> bytes:
        """The first half of the rows and no ending: Druid stops between rows when a query fails mid-stream."""
        return self.opening + self.separator.join(self.rows[: len(self.rows) // 2])


def _stream(
    out: _Handler, fmt: str, body: _Body, query_id: str, header: bool, chunk_size: int, failure: str | None
) -> None:
    """Send a 200 chunked body as Druid's QueryResultPusher does; 'truncate' and 'drop' fail mid-stream."""
    out.send_response(200)
    types = {"csv": "text/csv", "objectLines": "text/plain", "arrayLines": "text/plain"}
    out.send_header("Content-Type", types.get(fmt, "application/json"))
    out.send_header("X-Druid-SQL-Query-Id", query_id)
    out.send_header("X-Druid-Query-Id", query_id)
    if header:
        out.send_header("X-Druid-SQL-Header-Included", "yes")
    out.send_header("Trailer", "X-Druid-Response-Complete")
    out.send_header("Transfer-Encoding", "chunked")
    out.end_headers()
    data = body.whole()
    if failure == "truncate":
        data = body.cut_between_rows()
    elif failure == "drop":
        data = data[: max(1, len(data) * 2 // 3)]
    for offset in range(0, len(data), chunk_size):
        piece = data[offset : offset + chunk_size]
        out.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
    if failure == "drop":  # the connection goes away without the last chunk
        out.wfile.flush()
        out.close_connection = True
        return
    trailer = "X-Druid-Response-Complete: true\r\n"
    if failure == "truncate":
        trailer = "X-Druid-Response-Complete: false\r\nX-Error-Message: Query interrupted\r\n"
    out.wfile.write(f"0\r\n{trailer}\r\n".encode())


def _format(
    fmt: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]], header: bool, types: bool, sql_types: bool
) -> _Body:
    """A result in ``fmt`` as Druid's writers produce it, header rows first when asked for."""
    names = [name for name, _ in columns]
    header_rows: list[list[Any]] = []
    if header:
        header_rows.append(names)
        if types:
            header_rows.append([NATIVE_TYPES[t] for _, t in columns])
        if sql_types:
            header_rows.append([t for _, t in columns])
    if fmt == "csv":
        return _Body(b"".join(map(_csv_line, header_rows)), [_csv_line(list(row)) for row in rows], b"", b"\n")
    if fmt in ("object", "objectLines"):
        encoded = [_json_object(dict(zip(names, row, strict=True))) for row in rows]
        if header:
            described: dict[str, Any] = dict.fromkeys(names)
            if types or sql_types:
                described = {
                    n: {**({"type": NATIVE_TYPES[t]} if types else {}), **({"sqlType": t} if sql_types else {})}
                    for n, t in columns
                }
            encoded.insert(0, _json_object(described))
    else:
        encoded = [_json_value(line) for line in header_rows] + [_json_value(list(row)) for row in rows]
    if fmt in ("objectLines", "arrayLines"):
        return _Body(b"", [(line + "\n").encode() for line in encoded], b"", b"\n")
    return _Body(b"[", [line.encode() for line in encoded], b",", b"]\n")


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    cells = ["" if v is None else _java_double(v) if isinstance(v, float) else v for v in values]
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


def _json_object(mapping: Mapping[str, Any]) -> str:
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_json_value(v)}" for k, v in mapping.items()) + "}"


def _json_value(value: Any) -> str:
    """JSON as Jackson writes it: UTF-8 unescaped, doubles like Java's ``Double.toString``."""
    if isinstance(value, dict):
        return _json_object(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    if isinstance(value, float):  # Jackson quotes NaN and the infinities
        return _java_double(value) if math.isfinite(value) else json.dumps(_java_double(value))
    return json.dumps(value, ensure_ascii=False)


def _java_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits))
    power = exponent + len(mantissa) - 1
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"


# -- SQL: tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?\*/)
      | (?P<str>'(?:[^']|'')*')
      | (?P<qid>"(?:[^"]|"")*")
      | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<op><>|!=|<=|>=|[(),.*+\-/=<>?;])""",
    re.S | re.X,
)
_RESERVED = {
    "ALL",
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CURRENT_TIMESTAMP",
    "DATE",
    "DISTINCT",
    "ELSE",
    "END",
    "EXISTS",
    "FALSE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INTERVAL",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "RIGHT",
    "SELECT",
    "TABLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TRUE",
    "UNION",
    "USER",
    "VALUE",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # str qid num word op eof
    text: str
    line: int
    column: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


def _tokens(sql: str) -> list[_Token]:
    found, position = [], 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        line = sql.count("\n", 0, position) + 1
        column = position - (sql.rfind("\n", 0, position) + 1) + 1
        if match is None:
            raise parse_failed(f'Lexical error at line {line}, column {column}.  Encountered: "{sql[position]}"')
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), line, column))
        position = match.end()
    line = sql.count("\n") + 1
    found.append(_Token("eof", "<EOF>", line, len(sql) - (sql.rfind("\n") + 1) + 1))
    return found


# -- SQL: syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    kind: str  # column literal param timestamp now call unary binary in isnull between star
    token: _Token
    value: Any = None
    args: tuple[_Node, ...] = ()
    flag: bool = False  # DISTINCT in calls, NOT in IN / IS NULL / BETWEEN


@dataclass(frozen=True)
class _Select:
    items: tuple[tuple[_Node, str | None], ...]
    source: _Token | _Select
    where: _Node | None = None
    group_by: tuple[_Node, ...] = ()
    having: _Node | None = None
    order_by: tuple[tuple[_Node, bool], ...] = ()
    limit: int | None = None
    offset: int | None = None


class _Parser:
    """Recursive descent over the Druid SQL subset; anything else is 'SQL parse failed'."""

    def __init__(self, sql: str) -> None:
        self.tokens = _tokens(sql)
        self.position = 0

    def statement(self) -> _Select:
        query = self.select()
        self.expect_kind("eof")
        return query

    # token helpers
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.position += 1
        return token

    def accept(self, *texts: str) -> _Token | None:
        token = self.peek()
        if token.kind in ("word", "op") and token.upper in texts:
            return self.take()
        return None

    def expect(self, text: str) -> _Token:
        token = self.accept(text)
        if token is None:
            raise self.unexpected(f'"{text}"')
        return token

    def expect_kind(self, kind: str) -> _Token:
        if self.peek().kind != kind:
            raise self.unexpected({"eof": "<EOF>", "num": "<UNSIGNED_INTEGER_LITERAL>"}.get(kind, kind))
        return self.take()

    def unexpected(self, wanted: str) -> DruidSqlError:
        token = self.peek()
        text = token.text if token.kind != "eof" else "<EOF>"
        return parse_failed(
            f'Encountered "{text}" at line {token.line}, column {token.column}.\n'
            f"Was expecting one of:\n    {wanted} ..."
        )

    # grammar
    def select(self) -> _Select:
        self.expect("SELECT")
        if self.accept("DISTINCT", "ALL"):
            raise self.unexpected("an expression (the stand-in has no SELECT DISTINCT)")
        items: list[tuple[_Node, str | None]] = []
        while True:
            if self.peek().text == "*":
                items.append((_Node("star", self.take()), None))
            else:
                expr = self.expression()
                alias = None
                if self.accept("AS") or self.alias_follows():
                    alias = self.identifier()
                items.append((expr, alias))
            if not self.accept(","):
                break
        self.expect("FROM")
        source: _Token | _Select
        if self.accept("("):
            source = self.select()
            self.expect(")")
        else:
            source = self.table()
        if self.accept("AS") or self.alias_follows():
            self.identifier()  # a table alias: columns are still addressed bare
        where = self.expression() if self.accept("WHERE") else None
        group_by: list[_Node] = []
        if self.accept("GROUP"):
            self.expect("BY")
            group_by.append(self.expression())
            while self.accept(","):
                group_by.append(self.expression())
        having = self.expression() if self.accept("HAVING") else None
        order_by: list[tuple[_Node, bool]] = []
        if self.accept("ORDER"):
            self.expect("BY")
            while True:
                expr = self.expression()
                descending = bool(self.accept("DESC"))
                if not descending:
                    self.accept("ASC")
                order_by.append((expr, descending))
                if not self.accept(","):
                    break
        limit = int(self.expect_kind("num").text) if self.accept("LIMIT") else None
        offset = int(self.expect_kind("num").text) if self.accept("OFFSET") else None
        return _Select(tuple(items), source, where, tuple(group_by), having, tuple(order_by), limit, offset)

    def table(self) -> _Token:
        first = self.peek()
        name = self.identifier()
        if self.accept("."):
            if name != "druid":
                raise validation_failed(f"From line {first.line}, column {first.column}: Object '{name}' not found")
            first = self.peek()
            name = self.identifier()
        return _Token("qid", name, first.line, first.column)

    def alias_follows(self) -> bool:
        token = self.peek()
        return token.kind == "qid" or (token.kind == "word" and token.upper not in _RESERVED)

    def identifier(self) -> str:
        token = self.peek()
        if token.kind == "qid":
            self.take()
            return token.text[1:-1].replace('""', '"')
        if token.kind == "word" and token.upper not in _RESERVED:
            self.take()
            return token.text
        raise self.unexpected("<IDENTIFIER>")

    def expression(self) -> _Node:
        node = self.conjunction()
        while token := self.accept("OR"):
            node = _Node("binary", token, "OR", (node, self.conjunction()))
        return node

    def conjunction(self) -> _Node:
        node = self.negation()
        while token := self.accept("AND"):
            node = _Node("binary", token, "AND", (node, self.negation()))
        return node

    def negation(self) -> _Node:
        if token := self.accept("NOT"):
            return _Node("unary", token, "NOT", (self.negation(),))
        return self.comparison()

    def comparison(self) -> _Node:
        node = self.additive()
        if token := self.accept("=", "<>", "!=", "<", "<=", ">", ">="):
            return _Node("binary", token, "<>" if token.text == "!=" else token.text, (node, self.additive()))
        if token := self.accept("IS"):
            negated = bool(self.accept("NOT"))
            self.expect("NULL")
            return _Node("isnull", token, None, (node,), negated)
        negated = bool(self.accept("NOT"))
        if token := self.accept("IN"):
            self.expect("(")
            items = [self.additive()]
            while self.accept(","):
                items.append(self.additive())
            self.expect(")")
            return _Node("in", token, None, (node, *items), negated)
        if token := self.accept("BETWEEN"):
            low = self.additive()
            self.expect("AND")
            return _Node("between", token, None, (node, low, self.additive()), negated)
        if negated:
            raise self.unexpected('"IN" or "BETWEEN"')
        return node

    def additive(self) -> _Node:
        node = self.multiplicative()
        while token := self.accept("+", "-"):
            node = _Node("binary", token, token.text, (node, self.multiplicative()))
        return node

    def multiplicative(self) -> _Node:
        node = self.unary()
        while token := self.accept("*", "/"):
            node = _Node("binary", token, token.text, (node, self.unary()))
        return node

    def unary(self) -> _Node:
        if token := self.accept("-"):
            return _Node("unary", token, "-", (self.unary(),))
        return self.primary()

    def primary(self) -> _Node:
        token = self.peek()
        if token.kind == "num":
            self.take()
            return _Node("literal", token, float(token.text) if re.search(r"[.eE]", token.text) else int(token.text))
        if token.kind == "str":
            self.take()
            return _Node("literal", token, token.text[1:-1].replace("''", "'"))
        if token.text == "?":
            self.take()
            index = sum(1 for t in self.tokens[: self.position - 1] if t.text == "?")
            return _Node("param", token, index)
        if self.accept("("):
            node = self.expression()
            self.expect(")")
            return node
        if token.kind == "word":
            word = token.upper
            if word == "TIMESTAMP" and self.peek(1).kind == "str":
                self.take()
                return _Node("timestamp", token, self.take().text[1:-1])
            if word == "CURRENT_TIMESTAMP":
                self.take()
                return _Node("now", token)
            if word in ("NULL", "TRUE", "FALSE"):
                self.take()
                return _Node("literal", token, None if word == "NULL" else word == "TRUE")
            if self.peek(1).text == "(":
                return self.call()
        if token.kind in ("word", "qid"):
            return _Node("column", token, self.identifier())
        raise self.unexpected('<IDENTIFIER>, a literal or "("')

    def call(self) -> _Node:
        name = self.take()
        self.expect("(")
        if name.upper == "COUNT" and self.accept("*"):
            self.expect(")")
            return _Node("call", name, "COUNT", (_Node("star", name),))
        distinct = bool(self.accept("DISTINCT"))
        args: list[_Node] = []
        if not self.accept(")"):
            args.append(self.expression())
            while self.accept(","):
                args.append(self.expression())
            self.expect(")")
        return _Node("call", name, name.upper, tuple(args), distinct)


# -- SQL: checking and translating to SQLite ----------------------------------------------------


@dataclass
class _Expr:
    sql: str
    type: str
    aggregate: bool = False
    bare: set[str] = field(default_factory=set)  # columns used outside aggregates


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: dict[str, Any]
    columns: list[tuple[str, str]]


_AGGREGATES = {"MAX", "MIN", "SUM", "AVG", "COUNT", "LATEST", "LATEST_BY", "EARLIEST", "EARLIEST_BY"}


class _Compiler:
    """Checks a parsed query against the datasources like Druid's planner and writes it as SQLite."""

    def __init__(
        self,
        tables: Mapping[str, Mapping[str, str]],
        zone: ZoneInfo,
        now_ms: int,
        parameters: Sequence[Mapping[str, Any]],
    ) -> None:
        self.tables = tables
        self.zone = zone
        self.now_ms = now_ms
        self.parameters = list(parameters)
        self.params: dict[str, Any] = {}

    def statement(self, select: _Select) -> _Compiled:
        sql, columns = self.select(select)
        return _Compiled(sql, self.params, columns)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def select(self, select: _Select) -> tuple[str, list[tuple[str, str]]]:
        if isinstance(select.source, _Select):
            inner, inner_columns = self.select(select.source)
            scope, source = dict(inner_columns), f"({inner})"
        else:
            table = select.source
            if table.text not in self.tables:
                raise validation_failed(
                    f"From line {table.line}, column {table.column}: Object '{table.text}' not found"
                )
            scope, source = dict(self.tables[table.text]), _sqlite_name(table.text)
        items: list[tuple[_Expr, str]] = []
        for index, (node, alias) in enumerate(select.items):
            if node.kind == "star":
                items.extend((_Expr(_sqlite_name(c), t, bare={c}), c) for c, t in scope.items())
                continue
            expr = self.expr(node, scope, aggregates=True)
            items.append((expr, alias or (node.value if node.kind == "column" else f"EXPR${index}")))
        where = self.expr(select.where, scope, aggregates=False, clause="WHERE") if select.where else None
        grouped: list[_Expr] = []
        for node in select.group_by:
            if node.kind == "literal" and isinstance(node.value, int) and not isinstance(node.value, bool):
                if not 1 <= node.value <= len(items):
                    raise validation_failed(f"Ordinal out of range: {node.value}")
                grouped.append(items[node.value - 1][0])
            elif node.kind == "column" and node.value not in scope and node.value in [a for _, a in items]:
                grouped.append(next(e for e, a in items if a == node.value))
            else:
                grouped.append(self.expr(node, scope, aggregates=False, clause="GROUP BY"))
        having = self.expr(select.having, scope, aggregates=True) if select.having else None
        aggregated = bool(grouped) or any(e.aggregate for e, _ in items) or (having is not None and having.aggregate)
        if aggregated:  # every column outside an aggregate must be grouped, as Calcite checks
            keys = {e.sql for e in grouped}
            names = {c for e in grouped for c in e.bare if e.sql == _sqlite_name(c)}
            for expr in [e for e, _ in items] + ([having] if having else []):
                if expr.sql not in keys and not expr.bare <= names:
                    raise validation_failed(f"Expression '{sorted(expr.bare - names)[0]}' is not being grouped")
        sql = f"SELECT {', '.join(f'{e.sql} AS {_sqlite_name(a)}' for e, a in items)} FROM {source}"
        if where is not None:
            sql += f" WHERE {where.sql}"
        if grouped:
            sql += f" GROUP BY {', '.join(e.sql for e in grouped)}"
        if having is not None:
            sql += f" HAVING {having.sql}"
        aliases = {a: e for e, a in items}
        if select.order_by:
            ordering = []
            for node, descending in select.order_by:
                if node.kind == "column" and node.value in aliases:
                    key = _sqlite_name(node.value)
                else:
                    key = self.expr(node, scope, aggregates=aggregated).sql
                ordering.append(key + (" DESC" if descending else ""))
            sql += f" ORDER BY {', '.join(ordering)}"
        elif grouped:  # a groupBy answers sorted by its dimensions
            sql += f" ORDER BY {', '.join(e.sql for e in grouped)}"
        if select.limit is not None:
            sql += f" LIMIT {select.limit}" + (f" OFFSET {select.offset}" if select.offset is not None else "")
        return sql, [(a, e.type) for e, a in items]

    def expr(self, node: _Node, scope: Mapping[str, str], aggregates: bool, clause: str = "") -> _Expr:
        kind = node.kind
        if kind == "column":
            if node.value not in scope:
                raise validation_failed(
                    f"From line {node.token.line}, column {node.token.column}: "
                    f"Column '{node.value}' not found in any table"
                )
            return _Expr(_sqlite_name(node.value), scope[node.value], bare={node.value})
        if kind == "literal":
            value = node.value
            if value is None:
                return _Expr("NULL", "VARCHAR")
            kind_of = (
                "BOOLEAN"
                if isinstance(value, bool)
                else "VARCHAR"
                if isinstance(value, str)
                else "BIGINT"
                if isinstance(value, int)
                else "DOUBLE"
            )
            return _Expr(self.bind(int(value) if isinstance(value, bool) else value), kind_of)
        if kind == "param":
            if node.value >= len(self.parameters):
                raise validation_failed(f"Parameter at position [{node.value}] is not bound")
            return self.parameter(self.parameters[node.value])
        if kind == "timestamp":
            return _Expr(self.bind(_timestamp_millis(node.value, self.zone)), "TIMESTAMP")
        if kind == "now":
            return _Expr(self.bind(self.now_ms), "TIMESTAMP")
        if kind == "call":
            return self.call(node, scope, aggregates, clause)
        parts = [self.expr(arg, scope, aggregates, clause) for arg in node.args]
        merged = _Expr("", "BOOLEAN", any(p.aggregate for p in parts), set().union(*(p.bare for p in parts)))
        if kind == "unary":
            merged.sql = f"(NOT {parts[0].sql})" if node.value == "NOT" else f"(-{parts[0].sql})"
            merged.type = "BOOLEAN" if node.value == "NOT" else parts[0].type
        elif kind == "binary":
            left, right = parts
            merged.sql = f"({left.sql} {node.value} {right.sql})"
            if node.value in "+-*/":
                merged.type = "DOUBLE" if "DOUBLE" in (left.type, right.type) else left.type
            elif node.value not in ("AND", "OR"):
                _comparable(node, left, right)
        elif kind == "in":
            merged.sql = f"({parts[0].sql} {'NOT ' if node.flag else ''}IN ({', '.join(p.sql for p in parts[1:])}))"
        elif kind == "isnull":
            merged.sql = f"({parts[0].sql} IS {'NOT ' if node.flag else ''}NULL)"
        elif kind == "between":
            merged.sql = f"({parts[0].sql} {'NOT ' if node.flag else ''}BETWEEN {parts[1].sql} AND {parts[2].sql})"
        else:
            raise parse_failed(
                f'Encountered "{node.token.text}" at line {node.token.line}, column {node.token.column}.'
            )
        return merged

    def parameter(self, parameter: Mapping[str, Any]) -> _Expr:
        kind, value = str(parameter.get("type", "")).upper(), parameter.get("value")
        if kind in ("VARCHAR", "CHAR"):
            return _Expr(self.bind(None if value is None else str(value)), "VARCHAR")
        if kind in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
            return _Expr(self.bind(int(value) if value is not None else None), "BIGINT")
        if kind in ("DOUBLE", "FLOAT", "REAL", "DECIMAL"):
            return _Expr(self.bind(float(value) if value is not None else None), "DOUBLE")
        if kind == "TIMESTAMP":
            return _Expr(self.bind(_timestamp_millis(str(value), self.zone)), "TIMESTAMP")
        raise validation_failed(f"Cannot handle parameter of type [{kind}] (stand-in: VARCHAR, numbers, TIMESTAMP)")

    def call(self, node: _Node, scope: Mapping[str, str], aggregates: bool, clause: str) -> _Expr:
        name, args, token = node.value, node.args, node.token
        where = f"From line {token.line}, column {token.column}"
        if name in _AGGREGATES:
            if not aggregates:
                raise validation_failed(f"{where}: Aggregate expression is illegal in {clause or 'this'} clause")
            if name == "COUNT" and args and args[0].kind == "star":
                return _Expr("COUNT(*)", "BIGINT", aggregate=True)
            inner = [self.expr(arg, scope, aggregates=False, clause="an aggregate's") for arg in args]
            wanted = 2 if name.endswith("_BY") else 1
            if len(inner) != wanted:
                raise validation_failed(
                    f"{where}: Invalid number of arguments to function '{name}'. Was expecting {wanted} arguments"
                )
            if name in ("LATEST", "EARLIEST") and "__time" not in scope:
                raise validation_failed(
                    f"{where}: {name}() aggregator depends on __time column, the underlying "
                    "datasource or extraction function generates a table without __time"
                )
            if name.startswith(("LATEST", "EARLIEST")):
                function = "druid_latest" if name.startswith("LATEST") else "druid_earliest"
                time_sql = inner[1].sql if len(inner) == 2 else _sqlite_name("__time")
                return _Expr(f"{function}({time_sql}, {inner[0].sql})", inner[0].type, aggregate=True)
            distinct = "DISTINCT " if node.flag else ""
            kind = {"COUNT": "BIGINT", "AVG": "DOUBLE"}.get(name, inner[0].type)
            return _Expr(f"{name}({distinct}{inner[0].sql})", kind, aggregate=True)
        parts = [self.expr(arg, scope, aggregates, clause) for arg in args]
        bare = set().union(*(p.bare for p in parts)) if parts else set()
        aggregate = any(p.aggregate for p in parts)
        if name in ("TIME_SHIFT", "TIME_FLOOR") and parts and parts[0].type != "TIMESTAMP":
            raise validation_failed(f"{where}: Cannot apply '{name}' to arguments of type '<{parts[0].type}>'")
        if name == "TIME_SHIFT" and len(parts) == 3:
            _period_millis(_literal_text(args[1], where))
            return _Expr(
                f"druid_time_shift({parts[0].sql}, {parts[1].sql}, {parts[2].sql})", "TIMESTAMP", aggregate, bare
            )
        if name == "TIME_FLOOR" and len(parts) == 2:
            _period_millis(_literal_text(args[1], where))
            return _Expr(f"druid_time_floor({parts[0].sql}, {parts[1].sql})", "TIMESTAMP", aggregate, bare)
        if name == "MILLIS_TO_TIMESTAMP" and len(parts) == 1:
            return _Expr(parts[0].sql, "TIMESTAMP", aggregate, bare)
        if name == "TIMESTAMP_TO_MILLIS" and len(parts) == 1:
            return _Expr(parts[0].sql, "BIGINT", aggregate, bare)
        signature = ", ".join(f"<{p.type}>" for p in parts)
        raise validation_failed(f"{where}: No match found for function signature {name}({signature})")


def _comparable(node: _Node, left: _Expr, right: _Expr) -> None:
    kinds = {left.type, right.type}
    if "TIMESTAMP" in kinds and len(kinds) > 1:
        raise validation_failed(
            f"From line {node.token.line}, column {node.token.column}: Cannot apply "
            f"'{node.value}' to arguments of type '<{left.type}> {node.value} <{right.type}>'"
        )


def _literal_text(node: _Node, where: str) -> str:
    if node.kind != "literal" or not isinstance(node.value, str):
        raise validation_failed(f"{where}: the period must be a string literal")
    return node.value


# -- SQL: time and values -----------------------------------------------------------------------

_PERIOD = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$")


def _period_millis(text: str) -> int:
    """Milliseconds of a fixed ISO-8601 period (weeks to seconds; the stand-in has no months or years)."""
    match = _PERIOD.match(text)
    if not match or not any(match.groups()) or text.endswith("T"):
        raise DruidSqlError(
            Failure(
                400,
                "Unknown exception",
                "java.lang.IllegalArgumentException",
                f'Invalid format: "{text}" (stand-in: fixed periods PnW, PnD, PTnH, PTnM, PTn.nS)',
            )
        )
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return round(((((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000)


def _time_shift(millis: int | None, period: str, step: int | None) -> int | None:
    if millis is None or step is None:
        return None
    return millis + _period_millis(period) * int(step)


def _time_floor(millis: int | None, period: str) -> int | None:
    if millis is None:
        return None
    size = _period_millis(period)
    return millis - millis % size


class _Latest:
    """LATEST_BY(value, time): the value at the greatest time; the first row seen wins a tie."""

    def __init__(self) -> None:
        self.time: int | None = None
        self.value: Any = None

    def step(self, time: int | None, value: Any) -> None:
        if time is not None and (self.time is None or self.better(time, self.time)):
            self.time, self.value = time, value

    @staticmethod
    def better(time: int, best: int) -> bool:
        return time > best

    def finalize(self) -> Any:
        return self.value


class _Earliest(_Latest):
    @staticmethod
    def better(time: int, best: int) -> bool:
        return time < best


def _timestamp_millis(text: str, zone: ZoneInfo) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?)?", text.strip())
    if not match:
        raise parse_failed(f"Illegal TIMESTAMP literal '{text}': not in format 'yyyy-MM-dd HH:mm:ss'")
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
    fraction = match.group(7) or "0"
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise parse_failed(f"Illegal TIMESTAMP literal '{text}': not in format 'yyyy-MM-dd HH:mm:ss'") from None
    return round(moment.timestamp() * 1000) + int(fraction.ljust(3, "0"))


def _iso_millis(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise DruidSqlError(
            Failure(
                400,
                "Unknown exception",
                "java.lang.IllegalArgumentException",
                f"The datetime zone id '{name}' is not recognised",
            )
        ) from None


def _output(value: Any, kind: str, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if kind == "TIMESTAMP":
        moment = datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=int(value))
        local = moment.astimezone(zone)
        text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
        offset = local.strftime("%z")
        return text + ("Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}")
    if kind == "DOUBLE":
        return float(value)
    if kind == "BIGINT":
        return int(value)
    if kind == "BOOLEAN":
        return bool(value)
    return value


def _sqlite_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
