"""An Elasticsearch 7.17 / 8.x stand-in on loopback, speaking the wire format of reference/wire-formats.md §2.

Use it as a fixture::

    @pytest.fixture
    def es():
        with ElasticsearchStandIn(version=8) as server:
            yield server

    es.add("khp-logs-2026.11.29", [{"@timestamp": "2026-11-29T09:55:00Z", "message": "...", ...}])
    Elasticsearch(es.url).search(...)
    es.requests[-1].json            # what was sent: method, path, query, headers, body

Answers are computed from the fixture documents: ``_search`` and ``_count`` evaluate the query
DSL subset khp sends (``match_all``, ``bool`` filter/must/should/must_not, ``term``, ``terms``,
``wildcard`` with ``case_insensitive``, ``range`` gt/gte/lt/lte on dates and numbers, ``exists``)
and aggregations (``terms`` with size, order and nested aggregations; ``value_count``, ``sum``,
``min``, ``max``, ``avg``, ``cardinality``). ``text`` fields are tokenized like the standard
analyzer (Unicode word boundaries, lowercased); ``keyword`` fields are matched whole. Index
names in paths take ``*`` patterns and comma lists. ``_bulk`` (NDJSON, items in request order),
``_doc``, index creation, ``_refresh`` and ``_index_template`` are there for the history store.

Checks like the real server: the media type (a 7.x server refuses ``compatible-with=8`` with
406, an 8.x server refuses ``compatible-with=9`` with 400), error bodies
``{"error": {"root_cause", "type", "reason"}, "status"}``, ``X-Elastic-Product: Elasticsearch``
on every answer. Switches: ``fail_next(status, times)``, ``outage``, ``hang``,
``product_header``, ``shard_failure``, ``bulk_failure``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import operator
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standins import StandInServer

LOG_MAPPING = {
    "@timestamp": "date",
    "message": "text",
    "cluster": "keyword",
    "host": "keyword",
    "service": "keyword",
    "role": "keyword",
    "level": "keyword",
}
"""The log index mapping khp expects (DESIGN §3): keywords, an analyzed message, a date."""

DYNAMIC_LOG_MAPPING = {
    "@timestamp": "date",
    **{
        f: t
        for name in ("message", "cluster", "host", "service", "role", "level")
        for f, t in ((name, "text"), (f"{name}.keyword", "keyword"))
    },
}
"""What Elasticsearch's dynamic mapping makes of the same documents: text plus a ``.keyword`` sub-field."""

_VERSIONS = {7: "7.17.24", 8: "8.15.3"}
_STATUS_ERRORS = {
    401: ("security_exception", "unable to authenticate user [khp] for REST request [/khp-logs-*/_search]"),
    403: (
        "security_exception",
        "action [indices:data/read/search] is unauthorized for user [khp] with roles [khp_writer] on indices "
        "[khp-logs-2026.11.29], this action is granted by the index privileges [read,all]",
    ),
    429: ("es_rejected_execution_exception", "rejected execution of coordinating operation (queue capacity 1000)"),
    502: ("bad_gateway", "bad gateway"),
    503: ("cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"),
    504: ("gateway_timeout", "gateway timeout"),
}
_METRICS = ("value_count", "sum", "min", "max", "avg", "cardinality")


class _Hung(Exception):
    """The request is left without an answer."""


class EsError(Exception):
    """An error answer. ``shard`` wraps it the way query-time failures come: search_phase_execution_exception."""

    def __init__(self, status: int, kind: str, reason: str, shard: bool = False, **extra: Any) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason, self.shard, self.extra = status, kind, reason, shard, extra

    def body(self) -> dict[str, Any]:
        extra = {k: v for k, v in self.extra.items() if k != "caused_by"}
        cause = {"type": self.kind, "reason": self.reason, **extra}
        if "caused_by" in self.extra:
            return {
                "error": {"root_cause": [cause], **cause, "caused_by": self.extra["caused_by"]},
                "status": self.status,
            }
        if self.shard:
            error = {
                "root_cause": [cause],
                "type": "search_phase_execution_exception",
                "reason": "all shards failed",
                "phase": "query",
                "grouped": True,
                "failed_shards": [{"shard": 0, "reason": cause}],
                "caused_by": cause,
            }
        else:
            error = {"root_cause": [cause], **cause}
        return {"error": error, "status": self.status}


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@dataclass
class _Index:
    mapping: dict[str, str]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    dynamic: bool = True


class ElasticsearchStandIn:
    """A loopback HTTP server answering like Elasticsearch ``version`` (7 or 8) from fixture documents."""

    def __init__(self, version: int = 8, clock: Callable[[], float] = time.time) -> None:
        if version not in _VERSIONS:
            raise ValueError(f"version must be one of {sorted(_VERSIONS)}")
        self.version = version
        self.number = _VERSIONS[version]
        self.clock = clock
        self.indices: dict[str, _Index] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.product_header = True
        self.outage: int | None = None
        self.hang = False
        self.shard_failure: tuple[str, str] | None = None  # (type, reason): searches answer 200 with a failed shard
        self.bulk_failure: Callable[[str, str, Mapping[str, Any]], tuple[int, str, str] | None] | None = None
        self._failures: list[int] = []
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> ElasticsearchStandIn:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = StandInServer(("127.0.0.1", 0), handler)
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="es-standin", daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ElasticsearchStandIn:
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

    def add(self, index: str, docs: Iterable[Mapping[str, Any]], mapping: Mapping[str, str] = LOG_MAPPING) -> None:
        """Index ``docs`` into ``index`` (created with ``mapping`` if new); ``_id`` in a doc sets its id."""
        with self._lock:
            target = self.indices.setdefault(index, _Index(dict(mapping), dynamic=False))
            for doc in docs:
                source = {k: v for k, v in doc.items() if k != "_id"}
                target.docs[str(doc.get("_id", uuid.uuid4().hex[:20]))] = source

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (429, 502, 503, 504...) and an error body."""
        with self._lock:
            self._failures.extend([status] * times)

    def documents(self, index_pattern: str = "*") -> list[dict[str, Any]]:
        """The sources of the documents in the indices matching ``index_pattern``."""
        with self._lock:
            return [dict(doc) for name in self._resolve(index_pattern) for doc in self.indices[name].docs.values()]

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, str]:
        """(status, JSON answer or None, content type) for one request."""
        split = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(split.query))
        with self._lock:
            self.requests.append(Recorded(method, split.path, query, headers, body))
            failure = self._failures.pop(0) if self._failures else self.outage
        if self.hang:
            self._release.wait()
            raise _Hung()
        accepted = self._media_type(headers, body)
        if failure is not None:
            kind, reason = _STATUS_ERRORS.get(failure, ("exception", f"status {failure}"))
            raise EsError(failure, kind, reason)
        parts = [urllib.parse.unquote(p) for p in split.path.strip("/").split("/")] if split.path != "/" else []
        with self._lock:
            return (*self._route(method, parts, split.path, body), accepted)

    def _route(self, method: str, parts: list[str], path: str, body: bytes) -> tuple[int, Any]:
        if not parts and method in ("GET", "HEAD"):
            return 200, self._info()
        if parts and parts[-1] == "_bulk" and len(parts) <= 2 and method in ("PUT", "POST"):
            return 200, self._bulk(body, parts[0] if len(parts) == 2 else None)
        if len(parts) == 2 and parts[0] == "_index_template":
            return self._template(method, parts[1], body)
        if parts and parts[-1] in ("_search", "_count") and len(parts) <= 2 and method in ("GET", "POST"):
            indices = self._resolve(parts[0] if len(parts) == 2 else "_all")
            request = _json_body(body) or {}
            if parts[-1] == "_count":
                return 200, self._count(indices, request)
            return 200, self._search(indices, request)
        if len(parts) in (2, 3) and parts[1] == "_doc" and method in ("PUT", "POST"):
            doc_id = parts[2] if len(parts) == 3 else uuid.uuid4().hex[:20]
            result = self._store(parts[0], doc_id, _json_body(body) or {}, create=False)
            return result["status"], {k: v for k, v in result.items() if k != "status"}
        if len(parts) == 2 and parts[1] == "_refresh":
            self._resolve(parts[0])
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if len(parts) == 1 and not parts[0].startswith("_") and method == "PUT":
            return 200, self._create_index(parts[0], _json_body(body) or {})
        raise EsError(400, "illegal_argument_exception", f"no handler found for uri [{path}] and method [{method}]")

    def _media_type(self, headers: Mapping[str, str], body: bytes) -> str:
        """Check Content-Type and Accept as the server's version does; the answer's content type."""
        versions = {}
        checks = [("content-type", "Content-Type"), ("accept", "Accept")]
        for name, label in checks if self.version == 7 else reversed(checks):  # the order each one reports in
            value = headers.get(name, "")
            if not value or (name == "content-type" and not body):
                continue
            essence, _, params = value.partition(";")
            essence = essence.strip().lower()
            compat = re.search(r"compatible-with=(\d+)", params)
            if essence.startswith("application/vnd.elasticsearch+"):
                found = compat.group(1) if compat else ""
                if self.version == 7 and found != "7":
                    raise EsError(406, "", "", plain=f"{label} header [{value}] is not supported")
                if self.version == 8 and found not in ("7", "8"):
                    raise EsError(
                        400,
                        "media_type_header_exception",
                        "Invalid media-type value on headers [Content-Type, Accept]",
                        caused_by={
                            "type": "status_exception",
                            "reason": f"{label} version must be either version 8 or 7, but found {found}. "
                            f"{label}={value}",
                        },
                    )
                versions[name] = found
            elif name == "content-type" and essence not in ("application/json", "application/x-ndjson"):
                raise EsError(406, "", "", plain=f"Content-Type header [{value}] is not supported")
        if len(set(versions.values())) > 1:
            raise EsError(
                400,
                "media_type_header_exception",
                "Invalid media-type value on headers [Content-Type, Accept]",
                caused_by={
                    "type": "status_exception",
                    "reason": "Content-Type and Accept version requested have to match.",
                },
            )
        if self.version == 8 and "accept" in versions:
            return f"application/vnd.elasticsearch+json;compatible-with={versions['accept']}"
        return "application/json; charset=UTF-8" if self.version == 7 else "application/json"

    # -- endpoints -----------------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        return {
            "name": "standin-node-1",
            "cluster_name": "khp-standin",
            "cluster_uuid": "b9OcWSpLRvWJv3Wq8ctTnw",
            "version": {
                "number": self.number,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "0" * 40,
                "build_date": "2024-10-01T00:00:00.000Z",
                "build_snapshot": False,
                "lucene_version": "9.11.1" if self.version == 8 else "8.11.3",
                "minimum_wire_compatibility_version": "7.17.0" if self.version == 8 else "6.8.0",
                "minimum_index_compatibility_version": "7.0.0" if self.version == 8 else "6.0.0-beta1",
            },
            "tagline": "You Know, for Search",
        }

    def _resolve(self, expression: str) -> list[str]:
        names: list[str] = []
        for part in expression.split(","):
            if part in ("_all", "*"):
                found = [n for n in self.indices if not n.startswith(".")]
            elif "*" in part:
                found = [n for n in self.indices if fnmatch.fnmatchcase(n, part)]
            elif part in self.indices:
                found = [part]
            else:
                raise EsError(
                    404,
                    "index_not_found_exception",
                    f"no such index [{part}]",
                    **{"resource.type": "index_or_alias", "resource.id": part, "index_uuid": "_na_", "index": part},
                )
            names.extend(n for n in sorted(found) if n not in names)
        return names

    def _matching(self, indices: list[str], query: Any) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        """(index, id, mapping, source) of every document ``query`` matches."""
        compiled = _compile_query(query if query is not None else {"match_all": {}}, self.clock)
        found = []
        for name in indices:
            index = self.indices[name]
            matches = compiled(index.mapping)
            found.extend((name, doc_id, index.mapping, doc) for doc_id, doc in index.docs.items() if matches(doc))
        return found

    def _count(self, indices: list[str], request: Mapping[str, Any]) -> dict[str, Any]:
        for key in request:
            if key != "query":
                raise EsError(400, "parsing_exception", f"request does not support [{key}]")
        return {"count": len(self._matching(indices, request.get("query"))), "_shards": _shards(len(indices))}

    def _search(self, indices: list[str], request: Mapping[str, Any]) -> dict[str, Any]:
        allowed = ("query", "size", "from", "aggs", "aggregations", "track_total_hits", "timeout", "_source")
        for key in request:
            if key not in allowed:
                raise EsError(400, "parsing_exception", f"Unknown key for a START_OBJECT in [{key}].")
        aggs = _compile_aggs(request.get("aggs", request.get("aggregations")))
        found = self._matching(indices, request.get("query"))
        size, start = int(request.get("size", 10)), int(request.get("from", 0))
        score = 1.0 if request.get("query") in (None, {"match_all": {}}) else 0.0
        hits: dict[str, Any] = {}
        track = request.get("track_total_hits", 10000)
        if track is not False:
            limit = len(found) if track is True else int(track)
            hits["total"] = {"value": min(len(found), limit), "relation": "eq" if len(found) <= limit else "gte"}
        hits["max_score"] = score if found and size else None
        page = found[start : start + size]
        hits["hits"] = [{"_index": n, "_id": i, "_score": score, "_source": d} for n, i, _, d in page]
        answer = {"took": 1, "timed_out": False, "_shards": _shards(len(indices)), "hits": hits}
        if self.shard_failure is not None and indices:
            kind, reason = self.shard_failure
            answer["_shards"] = {"total": len(indices) + 1, "successful": len(indices), "skipped": 0, "failed": 1}
            answer["_shards"]["failures"] = [
                {"shard": 1, "index": indices[0], "node": "standin-node-1", "reason": {"type": kind, "reason": reason}}
            ]
        if aggs:
            answer["aggregations"] = _run_aggs(aggs, [(m, d) for _, _, m, d in found])
        return answer

    def _bulk(self, body: bytes, default_index: str | None) -> dict[str, Any]:
        if body and not body.endswith(b"\n"):
            raise EsError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        lines = [line for line in body.decode().split("\n") if line.strip()]
        items, position = [], 0
        while position < len(lines):
            action = json.loads(lines[position])
            ((op, meta),) = action.items()
            index = meta.get("_index", default_index)
            doc_id = str(meta.get("_id") or uuid.uuid4().hex[:20])
            source = json.loads(lines[position + 1]) if op != "delete" else {}
            position += 1 if op == "delete" else 2
            failure = self.bulk_failure(index, doc_id, source) if self.bulk_failure else None
            if failure is not None:
                status, kind, reason = failure
                items.append(
                    {
                        op: {
                            "_index": index,
                            "_id": doc_id,
                            "status": status,
                            "error": {"type": kind, "reason": reason, "index": index},
                        }
                    }
                )
            elif op == "delete":
                gone = self.indices.get(index, _Index({})).docs.pop(doc_id, None)
                items.append(
                    {
                        op: {
                            "_index": index,
                            "_id": doc_id,
                            "result": "deleted" if gone else "not_found",
                            "status": 200 if gone else 404,
                        }
                    }
                )
            else:
                items.append({op: self._store(index, doc_id, source, create=op == "create")})
        errors = any(item[next(iter(item))]["status"] >= 300 for item in items)
        return {"took": 2, "errors": errors, "items": items}

    def _store(self, index: str, doc_id: str, source: dict[str, Any], create: bool) -> dict[str, Any]:
        target = self.indices.get(index) or self._new_index(index, {})
        if create and doc_id in target.docs:
            return {
                "_index": index,
                "_id": doc_id,
                "status": 409,
                "error": {
                    "type": "version_conflict_engine_exception",
                    "index": index,
                    "reason": f"[{doc_id}]: version conflict, document already exists (current version [1])",
                },
            }
        existed = doc_id in target.docs
        if target.dynamic:
            _extend_mapping(target.mapping, source)
        target.docs[doc_id] = source
        return {
            "_index": index,
            "_id": doc_id,
            "_version": 2 if existed else 1,
            "result": "updated" if existed else "created",
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": len(target.docs) - 1,
            "_primary_term": 1,
            "status": 200 if existed else 201,
        }

    def _new_index(self, name: str, mappings: Mapping[str, Any]) -> _Index:
        mapping: dict[str, str] = {}
        templates = sorted(self.templates.values(), key=lambda t: t.get("priority", 0))
        for template in templates:
            if any(fnmatch.fnmatchcase(name, p) for p in template.get("index_patterns", ())):
                mapping.update(_flatten(template.get("template", {}).get("mappings", {}).get("properties", {})))
        mapping.update(_flatten(mappings.get("properties", {})))
        self.indices[name] = _Index(mapping)
        return self.indices[name]

    def _create_index(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if name in self.indices:
            raise EsError(400, "resource_already_exists_exception", f"index [{name}/_na_] already exists", index=name)
        self._new_index(name, body.get("mappings", {}))
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _template(self, method: str, name: str, body: bytes) -> tuple[int, Any]:
        if method == "PUT" or method == "POST":
            template = _json_body(body) or {}
            if not template.get("index_patterns"):
                raise EsError(
                    400, "action_request_validation_exception", "Validation Failed: 1: index patterns are missing;"
                )
            self.templates[name] = template
            return 200, {"acknowledged": True}
        if method == "GET" and name in self.templates:
            return 200, {"index_templates": [{"name": name, "index_template": self.templates[name]}]}
        raise EsError(404, "resource_not_found_exception", f"index template matching [{name}] not found")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    standin: ElasticsearchStandIn

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        standin = self.standin
        try:
            status, answer, content_type = standin.handle(self.command, self.path, headers, body)
        except _Hung:
            self.close_connection = True
            return
        except EsError as exc:
            plain = exc.extra.get("plain")
            status, content_type = exc.status, "application/json; charset=UTF-8"
            answer = {"error": plain, "status": exc.status} if plain else exc.body()
        payload = b"" if answer is None or self.command == "HEAD" else json.dumps(answer).encode()
        self.send_response(status)
        if standin.product_header:
            self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


# -- query DSL ---------------------------------------------------------------------------------

Matcher = Callable[[Mapping[str, Any]], bool]
Docs = list[tuple[Mapping[str, str], Mapping[str, Any]]]  # (mapping of its index, source) of matched documents
Query = Callable[[Mapping[str, str]], Matcher]  # bound to an index's mapping, then run per document


def _compile_query(query: Any, clock: Callable[[], float]) -> Query:
    if not isinstance(query, Mapping) or len(query) != 1:
        raise EsError(400, "parsing_exception", "[_na] query malformed, must start with start_object")
    ((kind, spec),) = query.items()
    if kind == "match_all":
        return lambda mapping: lambda doc: True
    if kind == "bool":
        return _compile_bool(spec, clock)
    if kind in ("term", "terms", "wildcard", "range", "exists"):
        return _compile_leaf(kind, spec, clock)
    raise EsError(400, "parsing_exception", f"unknown query [{kind}]", line=1, col=len(kind) + 12)


def _compile_bool(spec: Mapping[str, Any], clock: Callable[[], float]) -> Query:
    clauses: dict[str, list[Query]] = {}
    for occur, value in spec.items():
        if occur in ("minimum_should_match", "boost", "_name"):
            continue
        if occur not in ("filter", "must", "should", "must_not"):
            raise EsError(400, "parsing_exception", f"[bool] query does not support [{occur}]")
        clauses[occur] = [_compile_query(q, clock) for q in (value if isinstance(value, list) else [value])]
    minimum = int(spec.get("minimum_should_match", 0 if clauses.get("filter") or clauses.get("must") else 1))

    def bind(mapping: Mapping[str, str]) -> Matcher:
        bound = {occur: [q(mapping) for q in queries] for occur, queries in clauses.items()}

        def matches(doc: Mapping[str, Any]) -> bool:
            if not all(m(doc) for m in bound.get("filter", []) + bound.get("must", [])):
                return False
            if any(m(doc) for m in bound.get("must_not", [])):
                return False
            should = bound.get("should", [])
            return not should or sum(m(doc) for m in should) >= min(minimum, len(should))

        return matches

    return bind


def _compile_leaf(kind: str, spec: Mapping[str, Any], clock: Callable[[], float]) -> Query:
    names = [k for k in spec if k not in ("boost", "_name")]
    if kind == "exists":
        name = spec.get("field")
        return lambda mapping: lambda doc: name in mapping and bool(_values(doc, name))
    if len(names) != 1:
        raise EsError(400, "parsing_exception", f"[{kind}] query doesn't support multiple fields, found {names}")
    name = names[0]
    params = spec[name]
    if kind == "terms":
        if not isinstance(params, list):
            raise EsError(400, "parsing_exception", f"[terms] query does not support [{name}]")
        wanted = list(params)
        return lambda mapping: _bind_equal(mapping.get(name), name, wanted, False)
    if not isinstance(params, Mapping):
        params = {"value": params}
    insensitive = bool(params.get("case_insensitive", False))
    if kind == "term":
        value = params["value"]
        return lambda mapping: _bind_equal(mapping.get(name), name, [value], insensitive)
    if kind == "wildcard":
        pattern = str(params.get("value", params.get("wildcard", "")))
        return lambda mapping: _bind_wildcard(mapping.get(name), name, pattern, insensitive)
    bounds = {op: params[op] for op in ("gt", "gte", "lt", "lte") if params.get(op) is not None}
    return lambda mapping: _bind_range(mapping.get(name), name, bounds, params.get("format"), clock)


def _bind_equal(kind: str | None, name: str, wanted: list[Any], insensitive: bool) -> Matcher:
    if kind is None:
        return lambda doc: False
    fold = (lambda s: s.lower()) if insensitive else (lambda s: s)
    if kind == "text":
        targets = {fold(str(w)) for w in wanted}
        return lambda doc: any(fold(t) in targets for v in _values(doc, name) for t in standard_tokens(str(v)))
    if kind == "date":
        millis = {_date_millis(w, None, name, time.time) for w in wanted}
        return lambda doc: any(_date_millis(v, None, name, time.time) in millis for v in _values(doc, name))
    if kind in ("long", "integer", "float", "double"):
        numbers = {float(w) for w in wanted}
        return lambda doc: any(float(v) in numbers for v in _values(doc, name))
    keys = {fold(_keyword(w)) for w in wanted}
    return lambda doc: any(fold(_keyword(v)) in keys for v in _values(doc, name))


def _bind_wildcard(kind: str | None, name: str, pattern: str, insensitive: bool) -> Matcher:
    if kind is None:
        return lambda doc: False
    if kind not in ("text", "keyword"):
        raise EsError(
            400,
            "query_shard_exception",
            f"Can only use wildcard queries on keyword and text fields - not on [{name}] which is of type [{kind}]",
            shard=True,
        )
    # A text field normalizes the pattern with its analyzer (lowercase), whatever case_insensitive says.
    fold = insensitive or kind == "text"
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
        re.IGNORECASE | re.DOTALL if fold else re.DOTALL,
    )
    if kind == "text":
        return lambda doc: any(regex.fullmatch(t) for v in _values(doc, name) for t in standard_tokens(str(v)))
    return lambda doc: any(regex.fullmatch(_keyword(v)) for v in _values(doc, name))


def _bind_range(
    kind: str | None, name: str, bounds: Mapping[str, Any], fmt: str | None, clock: Callable[[], float]
) -> Matcher:
    if kind is None:
        return lambda doc: False
    if kind == "date":

        def convert(v: Any, bound: str | None = None) -> Any:
            return _date_millis(v, fmt if bound else None, name, clock)
    elif kind in ("long", "integer", "float", "double"):

        def convert(v: Any, bound: str | None = None) -> Any:
            return float(v)
    else:

        def convert(v: Any, bound: str | None = None) -> Any:
            return _keyword(v)

    limits = {op: convert(v, op) for op, v in bounds.items()}
    checks = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}

    def matches(doc: Mapping[str, Any]) -> bool:
        return any(all(checks[op](convert(v), limit) for op, limit in limits.items()) for v in _values(doc, name))

    return matches


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$")
_MATH = re.compile(r"^now(?:([+-])(\d+)([smhdwHM]))?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "H": 3600, "d": 86400, "w": 604800, "M": 2592000}


def _date_millis(value: Any, fmt: str | None, name: str, clock: Callable[[], float]) -> int:
    """Epoch milliseconds of a date value (ISO-8601, epoch_millis, or ``now±N<unit>``), as ES stores them."""
    formats = (fmt or "strict_date_optional_time||epoch_millis").split("||")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "epoch_millis" in formats:
        return int(value)
    text = str(value)
    math = _MATH.match(text)
    if math:
        sign, amount, unit = math.groups()
        offset = int(amount) * _UNITS[unit] * (1 if sign == "+" else -1) if sign else 0
        return int((clock() + offset) * 1000)
    if "strict_date_optional_time" in formats and _DATE.match(text):
        padded = text.replace(",", ".")
        if len(padded) == 4:
            padded += "-01-01"
        elif len(padded) == 7:
            padded += "-01"
        fraction = re.search(r"[.](\d+)", padded)
        moment = dt.datetime.fromisoformat(re.sub(r"[.]\d+", "", padded).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        # the date type keeps milliseconds: finer digits are cut off
        return int(moment.timestamp()) * 1000 + (int(fraction.group(1)[:3].ljust(3, "0")) if fraction else 0)
    if "epoch_millis" in formats and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return int(float(text))
    raise EsError(
        400,
        "parse_exception",
        f"failed to parse date field [{text}] with format "
        f"[{fmt or 'strict_date_optional_time||epoch_millis'}]: [failed to parse date field [{text}]]",
        shard=True,
    )


# -- aggregations ------------------------------------------------------------------------------


def _compile_aggs(aggs: Any) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """name -> (type, parameters, sub-aggregations), checked as the parser does."""
    if aggs is None:
        return {}
    compiled = {}
    for name, spec in aggs.items():
        subs = spec.get("aggs", spec.get("aggregations"))
        kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise EsError(400, "parsing_exception", f"Expected one aggregation type for [{name}], found {kinds}")
        kind = kinds[0]
        if kind != "terms" and kind not in _METRICS:
            raise EsError(400, "parsing_exception", f"Unknown aggregation type [{kind}]", line=1, col=1)
        if kind in _METRICS and subs:
            raise EsError(
                400,
                "aggregation_initialization_exception",
                f"Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations",
            )
        if "field" not in spec[kind]:
            raise EsError(400, "illegal_argument_exception", f"Required [field] for aggregation [{name}]")
        compiled[name] = (kind, dict(spec[kind]), _compile_aggs(subs))
    return compiled


def _run_aggs(aggs: Mapping[str, tuple[str, dict[str, Any], dict[str, Any]]], docs: Docs) -> dict[str, Any]:
    return {
        name: (_terms if kind == "terms" else _metric)(kind, params, subs, docs)
        for name, (kind, params, subs) in aggs.items()
    }


def _terms(kind: str, params: Mapping[str, Any], subs: Any, docs: Docs) -> dict[str, Any]:
    name = params["field"]
    groups: dict[Any, list[tuple[Mapping[str, str], Mapping[str, Any]]]] = {}
    for mapping, doc in docs:
        field_kind = mapping.get(name)
        if field_kind is None:
            continue
        if field_kind == "text":
            raise EsError(
                400,
                "illegal_argument_exception",
                f"Text fields are not optimised for operations that "
                f"require per-document field data like aggregations and sorting, so these operations are "
                f"disabled by default. Please use a keyword field instead. Alternatively, set "
                f"fielddata=true on [{name}] in order to load field data by uninverting the inverted index. "
                f"Note that this can use significant memory.",
                shard=True,
            )
        for value in set(_key_of(v, field_kind) for v in _values(doc, name)):
            groups.setdefault(value, []).append((mapping, doc))
    order = params.get("order", {"_count": "desc"})
    ((by, direction),) = (order if isinstance(order, Mapping) else order[0]).items()
    if by == "_key":
        ranked = sorted(groups.items(), key=lambda item: item[0], reverse=direction == "desc")
    else:
        ranked = sorted(
            groups.items(), key=lambda item: (-len(item[1]) if direction == "desc" else len(item[1]), str(item[0]))
        )
    ranked = [item for item in ranked if len(item[1]) >= int(params.get("min_doc_count", 1))]
    size = int(params.get("size", 10))
    buckets = []
    for key, members in ranked[:size]:
        bucket: dict[str, Any] = {"key": key, "doc_count": len(members)}
        bucket.update(_run_aggs(subs, members))
        buckets.append(bucket)
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(len(m) for _, m in ranked[size:]),
        "buckets": buckets,
    }


def _metric(kind: str, params: Mapping[str, Any], subs: Any, docs: Docs) -> dict[str, Any]:
    name = params["field"]
    values = [v for mapping, doc in docs if mapping.get(name) for v in _values(doc, name)]
    if kind == "value_count":
        return {"value": len(values)}
    if kind == "cardinality":
        return {"value": len(set(map(_keyword, values)))}
    numbers = [float(v) for v in values]
    if kind == "sum":
        return {"value": sum(numbers)}
    if not numbers:
        return {"value": None}
    return {"value": {"min": min, "max": max}[kind](numbers) if kind != "avg" else sum(numbers) / len(numbers)}


# -- fields and analysis -----------------------------------------------------------------------


def _values(doc: Mapping[str, Any], name: str) -> list[Any]:
    """The values of field ``name`` in a source: a dotted path, or the parent of a ``.keyword`` sub-field."""
    value: Any = doc.get(name)
    if value is None:
        value = doc
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if value is None and name.endswith(".keyword"):
        value = doc.get(name[: -len(".keyword")])
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _keyword(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key_of(value: Any, kind: str) -> Any:
    if kind in ("long", "integer"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return _keyword(value)


def _flatten(properties: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, spec in properties.items():
        if "properties" in spec:
            flat.update(_flatten(spec["properties"], f"{prefix}{name}."))
            continue
        flat[prefix + name] = spec.get("type", "object")
        for sub, sub_spec in spec.get("fields", {}).items():
            flat[f"{prefix}{name}.{sub}"] = sub_spec.get("type", "keyword")
    return flat


def _extend_mapping(mapping: dict[str, str], source: Mapping[str, Any], prefix: str = "") -> None:
    """Dynamic mapping: dates, numbers, booleans, and strings as text with a ``.keyword`` sub-field."""
    for name, value in source.items():
        path = prefix + name
        if isinstance(value, Mapping):
            _extend_mapping(mapping, value, path + ".")
        elif path in mapping or value is None:
            continue
        elif isinstance(value, bool):
            mapping[path] = "boolean"
        elif isinstance(value, int):
            mapping[path] = "long"
        elif isinstance(value, float):
            mapping[path] = "float"
        elif isinstance(value, str) and _DATE.match(value) and len(value) >= 10:
            mapping[path] = "date"
        else:
            mapping[path], mapping[f"{path}.keyword"] = "text", "keyword"


# Word break classes of Unicode UAX #29 that matter for log lines; other characters break words.
def _class(ch: str) -> str:
    if ch.isalpha():
        return "L"
    if ch.isdigit():
        return "N"
    return {"_": "E", ":": "ML", ".": "MNL", "'": "MNL", ",": "MN", ";": "MN"}.get(ch, "")


def standard_tokens(text: str) -> list[str]:
    """The tokens Elasticsearch's standard analyzer makes of ``text`` (for ASCII-ish text): words, lowercased.

    Letters, digits and ``_`` join; ``:``, ``.`` and ``'`` join two letters (``ipc.RpcServer``,
    ``don't``); ``.``, ``,``, ``;`` and ``'`` join two digits (``10.1.1.1``); anything else breaks.
    """
    classes = [_class(ch) for ch in text]
    tokens, current = [], ""
    for i, ch in enumerate(text):
        kind = classes[i]
        if kind in ("L", "N", "E"):
            current += ch
            continue
        before = classes[i - 1] if i else ""
        after = classes[i + 1] if i + 1 < len(classes) else ""
        letters = kind in ("ML", "MNL") and before == "L" and after == "L"
        digits = kind in ("MN", "MNL") and before == "N" and after == "N"
        if current and (letters or digits):
            current += ch
            continue
        tokens.append(current)
        current = ""
    tokens.append(current)
    # a token of only '_' is not emitted; long tokens are cut at max_token_length 255
    return [t.lower()[i : i + 255] for t in tokens if any(c.isalnum() for c in t) for i in range(0, len(t), 255)]


def _json_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise EsError(400, "x_content_parse_exception", f"[1:1] Unexpected character: {exc}") from None


def _shards(indices: int) -> dict[str, int]:
    return {"total": indices, "successful": indices, "skipped": 0, "failed": 0}
