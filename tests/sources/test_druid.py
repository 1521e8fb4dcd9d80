"""The Druid metric source against a loopback stand-in of the Druid SQL API, with pydruid's DB-API.

What is sent (the SQL, its pinned time, quoting, context, auth), what comes back (host level,
aggregates computed in Druid, cluster scope, window edges, past times), how each Druid
failure reads, and monitors giving the same problems on Druid as on the embedded store.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import random
import re
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pydruid.db
import pydruid.db.api
import pytest

from evaluator import MONITOR_FAILED, SOURCE_UNAVAILABLE, Evaluator, Monitor, Problem
from evaluator._discovery import BUNDLED_DIR, monitors_in_directory
from evaluator.testing import build_config
from khp.configuration import Config, ConfigError, SourceConfig, SourcesConfig, load_config
from khp.records import MetricRow
from khp.sources import (
    EmbeddedLogs,
    EmbeddedMetrics,
    EmbeddedProcesses,
    MetricQuery,
    Sample,
    SourceError,
    Sources,
    SourceUnavailable,
)
from khp.sources._druid import DruidMetrics, DruidOptions, druid_metrics, druid_options
from khp.sources._druid_sql import metric_sql, period, quote_identifier, quote_string, timestamp_literal
from khp.store import Store
from tests.standins.druid import FAILURES, DruidStandIn

AT = 1795946400.0  # 2026-11-29T10:00:00Z
START = AT - 600
SLOTS = ("druid", "overlord", "taskSlot.used.count")
KHP_YML = Path(__file__).resolve().parents[2] / "khp.yml"


def row(cluster: str, host: str, value: float, ago: float = 60, path: Sequence[str] = SLOTS) -> MetricRow:
    service, role, name = path
    return MetricRow(time=AT - ago, cluster=cluster, host=host, service=service, role=role, name=name, value=value)


def ask(
    aggregate: str | None = None,
    clusters: tuple[str, ...] | None = None,
    path: Sequence[str] = SLOTS,
    start: float = START,
    end: float = AT,
) -> MetricQuery:
    return MetricQuery(*path, start=start, end=end, aggregate=aggregate, clusters=clusters)


FLEET = [
    row("alpha", "a-ov1", 590, ago=300),
    row("alpha", "a-ov1", 599, ago=30),  # latest wins
    row("alpha", "a-ov2", 512, ago=120),
    row("beta", "b-ov1", 75, ago=10),
    row("beta", "b-ov2", 1, ago=590),
    row("gamma", "g-ov1", 9000, ago=900),  # outside the window
]


@pytest.fixture
def druid() -> Iterator[DruidStandIn]:
    with DruidStandIn() as server:
        yield server


@pytest.fixture
def source(druid: DruidStandIn) -> Iterator[DruidMetrics]:
    metrics = DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sql/", timeout=5))
    yield metrics
    metrics.close()


def options(**values: Any) -> Config:
    return Config(file="khp.yml", sources=SourcesConfig(metrics=SourceConfig("druid", MappingProxyType(values))))


# -- the SQL ----------------------------------------------------------------------------------


def test_host_level_sql_is_the_documented_shape_with_the_time_pinned() -> None:
    assert metric_sql(ask(), "khp-service-metrics") == (
        'SELECT "cluster", "host", LATEST("value") AS "value" FROM "khp-service-metrics"'
        " WHERE __time > TIME_SHIFT(TIMESTAMP '2026-11-29 10:00:00', 'PT10M', -1)"
        " AND __time <= TIMESTAMP '2026-11-29 10:00:00'"
        " AND \"service\" = 'druid' AND \"role\" = 'overlord' AND \"name\" = 'taskSlot.used.count'"
        ' GROUP BY "cluster", "host"'
    )


@pytest.mark.parametrize("aggregate", ["max", "min", "sum", "avg", "count"])
def test_aggregates_run_in_druid_over_the_hosts_latest_values(aggregate: str) -> None:
    inner = metric_sql(ask(), "khp-service-metrics")
    assert metric_sql(ask(aggregate), "khp-service-metrics") == (
        f'SELECT "cluster", {aggregate.upper()}("value") AS "value" FROM ({inner}) GROUP BY "cluster"'
    )


def test_cluster_scope_window_and_fractions() -> None:
    sql = metric_sql(ask(clusters=("alpha", "beta")), "khp-service-metrics")
    assert sql.endswith(
        'AND "name" = \'taskSlot.used.count\' AND "cluster" IN (\'alpha\', \'beta\') GROUP BY "cluster", "host"'
    )
    assert "'PT90S'" in metric_sql(ask(start=AT - 90), "x")
    assert timestamp_literal(AT + 0.25) == "TIMESTAMP '2026-11-29 10:00:00.250'"
    assert [period(s) for s in (600, 3600, 5400, 90, 0.25, 86400)] == [
        "PT10M",
        "PT1H",
        "PT90M",
        "PT90S",
        "PT0.250S",
        "PT24H",
    ]
    with pytest.raises(ValueError, match="empty cluster scope"):
        metric_sql(ask(clusters=()), "x")


HOSTILE = [
    "x' OR '1'='1",
    "x'); DROP TABLE t; --",
    "%s",
    "%(name)s",
    "100%",
    "*",
    'quote"d',
    "back\\slash",
    "new\nline",
    "-- comment",
    "/* c */",
    "용량.사용률",
    "a'';'",
]


def test_quoting() -> None:
    assert quote_string("it's") == "'it''s'"
    assert quote_identifier('khp "metrics"') == '"khp ""metrics"""'


def test_pydruid_parameters_would_leave_a_star_bare() -> None:
    # Why the source quotes values itself instead of passing pydruid parameters.
    assert pydruid.db.api.escape("*") == "*"
    assert pydruid.db.api.escape("x'y") == "'x''y'"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_metric_name_is_only_ever_a_value(druid: DruidStandIn, source: DruidMetrics, name: str) -> None:
    path = ("svc", "role", name)
    druid.load([row("alpha", "h1", 1.0, path=path), row("alpha", "h2", 2.0, path=("svc", "role", "other"))])
    assert source.query(ask(path=path)) == [Sample("alpha", "h1", 1.0)]
    assert source.query(ask("count", path=path)) == [Sample("alpha", None, 1.0)]
    assert druid.requests[-1].json["query"] == metric_sql(ask("count", path=path), "khp-service-metrics")


def test_a_hostile_datasource_and_cluster_names_are_quoted(druid: DruidStandIn) -> None:
    odd = 'khp "metrics"; --'
    druid.load([row("it's", "h1", 3.0), row("other", "h2", 4.0)], datasource=odd)
    with DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sql/", datasource=odd)) as metrics:
        assert metrics.query(ask(clusters=("it's",))) == [Sample("it's", "h1", 3.0)]


# -- what is sent -----------------------------------------------------------------------------


def test_each_query_is_one_post_of_query_context_and_header(druid: DruidStandIn) -> None:
    metrics = DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sql/", timeout=7.5, context={"priority": 10}))
    metrics.query(ask())
    metrics.query(ask())
    metrics.close()
    first, second = druid.requests
    assert (first.method, first.path) == ("POST", "/druid/v2/sql/")
    assert first.headers["content-type"] == "application/json"
    assert "authorization" not in first.headers
    body = first.json
    assert set(body) == {"query", "context", "header"}  # as pydruid sends it: never resultFormat
    assert body["header"] is False
    assert body["query"] == metric_sql(ask(), "khp-service-metrics")
    assert body["context"] == {
        "priority": 10,
        "sqlQueryId": body["context"]["sqlQueryId"],
        "sqlTimeZone": "UTC",
        "timeout": 7500,
    }
    assert body["context"]["sqlQueryId"].startswith("khp-")
    assert second.json["context"]["sqlQueryId"] != body["context"]["sqlQueryId"]


def test_basic_auth_uses_the_password_from_the_environment(druid: DruidStandIn) -> None:
    druid.require_basic("khp", "s3cret:ish")
    druid.require_basic("khp-monitor", "s3cret")
    druid.load([row("alpha", "h1", 1.0)])
    config = options(url=druid.url, username="khp-monitor", password_env="DRUID_PASSWORD")
    metrics = druid_metrics(config, None, environ={"DRUID_PASSWORD": "s3cret"})
    assert metrics.query(ask()) == [Sample("alpha", "h1", 1.0)]
    metrics.close()
    sent = druid.requests[-1].headers["authorization"]
    assert sent == "Basic " + base64.b64encode(b"khp-monitor:s3cret").decode()


def test_basic_auth_credentials_are_utf8(druid: DruidStandIn) -> None:
    druid.require_basic("운영자", "pässwört")
    config = options(url=druid.url, username="운영자", password_env="DRUID_PASSWORD")
    with druid_metrics(config, None, environ={"DRUID_PASSWORD": "pässwört"}) as metrics:
        assert metrics.query(ask()) == []
    assert (
        druid.requests[-1].headers["authorization"] == "Basic " + base64.b64encode("운영자:pässwört".encode()).decode()
    )


def test_jwt_is_sent_as_a_bearer_token(druid: DruidStandIn) -> None:
    druid.require_bearer("eyJ.token.sig")
    druid.load([row("alpha", "h1", 1.0)])
    metrics = druid_metrics(options(url=druid.url, jwt_env="DRUID_JWT"), None, environ={"DRUID_JWT": "eyJ.token.sig"})
    assert metrics.query(ask("max")) == [Sample("alpha", None, 1.0)]
    metrics.close()
    assert druid.requests[-1].headers["authorization"] == "Bearer eyJ.token.sig"


def test_an_empty_cluster_scope_asks_nothing(druid: DruidStandIn, source: DruidMetrics) -> None:
    assert source.query(ask(clusters=())) == []
    assert druid.requests == []


# -- what comes back --------------------------------------------------------------------------


def test_host_level_latest_values_in_the_window(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.load(FLEET)
    assert source.query(ask()) == [
        Sample("alpha", "a-ov1", 599.0),
        Sample("alpha", "a-ov2", 512.0),
        Sample("beta", "b-ov1", 75.0),
        Sample("beta", "b-ov2", 1.0),
    ]


@pytest.mark.parametrize(
    ("aggregate", "alpha", "beta"),
    [
        ("max", 599.0, 75.0),
        ("min", 512.0, 1.0),
        ("sum", 1111.0, 76.0),
        ("avg", 555.5, 38.0),
        ("count", 2.0, 2.0),
    ],
)
def test_each_aggregate(druid: DruidStandIn, source: DruidMetrics, aggregate: str, alpha: float, beta: float) -> None:
    druid.load(FLEET)
    assert source.query(ask(aggregate)) == [Sample("alpha", None, alpha), Sample("beta", None, beta)]


@pytest.mark.parametrize("aggregate", [None, "max", "min", "sum", "avg", "count"])
def test_same_answers_as_the_embedded_store(
    druid: DruidStandIn, source: DruidMetrics, store: Store, aggregate: str | None
) -> None:
    rows = _random_rows(random.Random(7), [SLOTS, ("host", "os", "cpu.user")])
    druid.load(rows)
    store.write("metrics", rows)
    for path in (SLOTS, ("host", "os", "cpu.user")):
        for clusters in (None, ("c1", "c3")):
            query = ask(aggregate, clusters, path)
            assert _same(source.query(query), EmbeddedMetrics(store).query(query)), query


def _same(left: Sequence[Sample], right: Sequence[Sample]) -> bool:
    return len(left) == len(right) and all(
        (a.cluster, a.host) == (b.cluster, b.host) and math.isclose(a.value, b.value, rel_tol=1e-12)
        for a, b in zip(left, right, strict=True)
    )


def test_cluster_scope(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.load(FLEET)
    assert source.query(ask("max", clusters=("beta", "gamma"))) == [Sample("beta", None, 75.0)]


def test_window_edges_start_excluded_end_included(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.load(
        [
            row("a", "at-start", 1, ago=600),
            row("a", "at-end", 2, ago=0),
            row("a", "after-end", 3, ago=-0.001),
            row("a", "just-in", 4, ago=599.999),
        ]
    )
    assert source.query(ask()) == [Sample("a", "at-end", 2.0), Sample("a", "just-in", 4.0)]


def test_a_past_evaluation_time_sees_the_data_as_it_was(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.load(FLEET)
    hour_ago = ask(start=AT - 3600 - 600, end=AT - 3600)
    assert source.query(hour_ago) == []
    earlier = ask("max", start=AT - 400, end=AT - 200)  # only a-ov1's 590, written 300 s before AT
    assert source.query(earlier) == [Sample("alpha", None, 590.0)]
    assert "TIMESTAMP '2026-11-29 09:56:40'" in druid.requests[-1].json["query"]


def test_answers_split_into_tiny_chunks_still_parse(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.chunk_size = 3
    druid.load(FLEET)
    assert len(source.query(ask())) == 4


# -- failures ---------------------------------------------------------------------------------

EXPECTED = {
    "sql_parse": (SourceError, "Druid rejected the query (400 SQL parse failed: Encountered"),
    "plan_validation": (SourceError, "Druid rejected the query (400 Plan validation failed: "),
    "resource_limit": (SourceError, "(400 Resource limit exceeded: Subquery generated results beyond maximum"),
    "capacity": (SourceUnavailable, "Druid is at its query capacity (429 Query capacity exceeded: Too many"),
    "unsupported": (SourceError, "Druid does not support the query (501 Unsupported operation: "),
    "timeout": (SourceUnavailable, "Druid gave up on the query (504 Query timeout: Query [khp-"),
    "unknown": (SourceError, "Druid failed to run the query (500 Unknown exception: java.lang.RuntimeException"),
    "invalid_input": (SourceError, "Druid rejected the query (400 invalidInput: Received an unexpected token"),
    "unavailable": (SourceUnavailable, "Druid is not available (503 Service Unavailable) ["),
    "truncate": (SourceUnavailable, "the answer stops after"),
    "drop": (SourceUnavailable, "the connection broke off after"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_druid_failure_reads_clearly(druid: DruidStandIn, source: DruidMetrics, kind: str) -> None:
    druid.load(FLEET)
    druid.fail_next(kind)
    error, text = EXPECTED[kind]
    with pytest.raises(SourceError) as caught:
        source.query(ask("max"))
    assert type(caught.value) is error
    message = str(caught.value)
    assert message.startswith(f"druid {druid.url}: max('druid/overlord/taskSlot.used.count'): ")
    assert text in message
    assert message.endswith(f"[sqlQueryId {druid.requests[-1].json['context']['sqlQueryId']}]")
    assert source.query(ask("max")) == [Sample("alpha", None, 599.0), Sample("beta", None, 75.0)]  # next one fine


def test_every_failure_kind_of_the_stand_in_is_covered() -> None:
    assert set(EXPECTED) == {*FAILURES, "truncate", "drop"}


def test_missing_credentials(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.require_basic("khp-monitor", "s3cret")
    with pytest.raises(
        SourceError,
        match=r"\(401 Unauthorized\); Druid wants credentials: set username and "
        r"password_env, or jwt_env",
    ) as caught:
        source.query(ask())
    assert not isinstance(caught.value, SourceUnavailable)


def test_wrong_password_names_the_user_and_the_variable(druid: DruidStandIn) -> None:
    druid.require_basic("khp-monitor", "s3cret")
    config = options(url=druid.url, username="khp-monitor", password_env="DRUID_PASSWORD")
    metrics = druid_metrics(config, None, environ={"DRUID_PASSWORD": "wrong"})
    with pytest.raises(
        SourceError,
        match=r"did not accept the credentials \(401 Unauthorized\); check "
        r"username 'khp-monitor' and the password in \$DRUID_PASSWORD",
    ):
        metrics.query(ask())
    metrics.close()


def test_wrong_token(druid: DruidStandIn) -> None:
    druid.require_bearer("good")
    metrics = druid_metrics(options(url=druid.url, jwt_env="DRUID_JWT"), None, environ={"DRUID_JWT": "bad"})
    with pytest.raises(SourceError, match=r"check the token in \$DRUID_JWT"):
        metrics.query(ask())
    metrics.close()


def test_no_read_permission(druid: DruidStandIn) -> None:
    druid.require_basic("khp-monitor", "s3cret")
    druid.deny("khp-monitor")
    config = options(url=druid.url, username="khp-monitor", password_env="P")
    metrics = druid_metrics(config, None, environ={"P": "s3cret"})
    with pytest.raises(
        SourceError,
        match=r"user 'khp-monitor' may not read datasource 'khp-service-metrics' "
        r"\(403 Forbidden: Unauthorized\); grant READ on DATASOURCE khp-service-metrics",
    ):
        metrics.query(ask())
    metrics.close()


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = DruidMetrics(DruidOptions(url=f"http://127.0.0.1:{port}/druid/v2/sql/", timeout=2))
    with pytest.raises(
        SourceUnavailable,
        match=rf"^druid http://127.0.0.1:{port}: all\('druid/overlord/taskSlot"
        r".used.count'\): cannot reach .*Connection refused",
    ):
        metrics.query(ask())
    metrics.close()


def test_a_hung_server_is_given_up_on_at_the_timeout(druid: DruidStandIn) -> None:
    druid.hang = True
    metrics = DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sql/", timeout=0.3))
    with pytest.raises(SourceUnavailable, match=r"no answer within 0.3s \[sqlQueryId khp-"):
        metrics.query(ask())
    metrics.close()


def test_an_answer_still_arriving_at_the_deadline_is_given_up_on(druid: DruidStandIn) -> None:
    druid.load(FLEET)
    ticks = iter(range(0, 1000, 6))  # every look at the clock is 6 s later
    metrics = DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sql/", timeout=5), clock=lambda: next(ticks))
    with pytest.raises(SourceUnavailable, match=r"answer not complete within 5s"):
        metrics.query(ask())
    metrics.close()


def test_latency_within_the_timeout_is_only_slow(druid: DruidStandIn, source: DruidMetrics) -> None:
    druid.latency = 0.05
    druid.load(FLEET)
    assert source.query(ask("count")) == [Sample("alpha", None, 2.0), Sample("beta", None, 2.0)]


def test_a_wrong_path_is_a_configuration_problem(druid: DruidStandIn) -> None:
    metrics = DruidMetrics(DruidOptions(url=f"{druid.url}/druid/v2/sqlx"))
    with pytest.raises(
        SourceError,
        match=r"no Druid SQL API at http://127.0.0.1:\d+/druid/v2/sqlx \(404 Not Found\); check sources.metrics.url",
    ):
        metrics.query(ask())
    metrics.close()


# -- the stand-in speaks Druid to the stock pydruid client ---------------------------------------


def test_stock_pydruid_reads_the_seed_query_with_a_pinned_clock(druid: DruidStandIn) -> None:
    druid.load(FLEET)
    seed = (
        'SELECT "cluster", "host", LATEST("value") AS "value" FROM "khp-service-metrics"'
        " WHERE __time > TIME_SHIFT(CURRENT_TIMESTAMP, 'PT10M', -1) AND __time <= CURRENT_TIMESTAMP"
        " AND \"service\" = 'druid' AND \"role\" = 'overlord' AND \"name\" = 'taskSlot.used.count'"
        ' GROUP BY "cluster", "host"'
    )
    connection = pydruid.db.connect("127.0.0.1", druid.port, context={"sqlCurrentTimestamp": "2026-11-29T10:00:00Z"})
    cursor = connection.cursor().execute(seed)
    assert [tuple(r) for r in cursor.fetchall()] == [
        ("alpha", "a-ov1", 599.0),
        ("alpha", "a-ov2", 512.0),
        ("beta", "b-ov1", 75.0),
        ("beta", "b-ov2", 1.0),
    ]
    assert [d[0] for d in cursor.description] == ["cluster", "host", "value"]
    assert druid.requests[-1].path == "/druid/v2/sql/"


def test_header_true_as_druid_does_it(druid: DruidStandIn) -> None:
    druid.load(FLEET)
    sql = 'SELECT "host", MAX("value") AS "top" FROM "khp-service-metrics" WHERE "cluster" = \'alpha\' GROUP BY "host"'
    cursor = pydruid.db.connect("127.0.0.1", druid.port, header=True).cursor().execute(sql)
    assert cursor.description == [("host", None), ("top", None)]  # the header row, values null
    assert [tuple(r) for r in cursor.fetchall()] == [("a-ov1", 599.0), ("a-ov2", 512.0)]  # no data row lost
    typed = json.dumps({"query": sql, "header": True, "typesHeader": True, "sqlTypesHeader": True}).encode()
    answer = _post(druid, typed)
    assert answer["headers"]["X-Druid-SQL-Header-Included"] == "yes"
    assert json.loads(answer["body"])[0] == {
        "host": {"type": "STRING", "sqlType": "VARCHAR"},
        "top": {"type": "DOUBLE", "sqlType": "DOUBLE"},
    }
    plain = _post(druid, json.dumps({"query": sql, "resultFormat": "arrayLines", "header": True}).encode())
    assert plain["body"] == '["host","top"]\n["a-ov1",599.0]\n["a-ov2",512.0]\n\n'


def test_stock_pydruid_reports_druid_errors_in_its_observed_format(druid: DruidStandIn) -> None:
    cursor = pydruid.db.connect("127.0.0.1", druid.port).cursor()
    with pytest.raises(
        pydruid.db.exceptions.ProgrammingError,
        match=r'^SQL parse failed \(org.apache.calcite.sql.parser.SqlParseException\): Encountered "-"',
    ):
        cursor.execute("SELECT host FROM khp-service-metrics")  # unquoted: a subtraction
    with pytest.raises(pydruid.db.exceptions.ProgrammingError, match="Expression 'host' is not being grouped"):
        cursor.execute(
            'SELECT "cluster", "host", MAX("value") AS "value" FROM "khp-service-metrics" GROUP BY "cluster"'
        )
    with pytest.raises(pydruid.db.exceptions.ProgrammingError, match=r"Encountered \"value\""):
        cursor.execute('SELECT value FROM "khp-service-metrics"')  # reserved word


def test_stock_pydruid_takes_a_truncated_answer_for_a_short_one(druid: DruidStandIn, source: DruidMetrics) -> None:
    # The reason the source reads answers itself: pydruid 0.6.9 drops the cut-off tail silently.
    druid.load(FLEET)
    druid.fail_next("truncate")
    sql = metric_sql(ask(), "khp-service-metrics")
    assert len(pydruid.db.connect("127.0.0.1", druid.port).cursor().execute(sql).fetchall()) == 2  # of 4
    druid.fail_next("truncate")
    with pytest.raises(SourceUnavailable, match="without closing its JSON array"):
        source.query(ask())


def test_stand_in_refuses_what_druid_refuses(druid: DruidStandIn) -> None:
    refused = {
        'SELECT "host" FROM "nope"': "Object 'nope' not found",
        'SELECT "nope" FROM "khp-service-metrics"': "Column 'nope' not found in any table",
        'SELECT FOO("value") FROM "khp-service-metrics"': "No match found for function signature FOO(<DOUBLE>)",
        'SELECT "host" FROM "khp-service-metrics" WHERE MAX("value") > 1': "Aggregate expression is illegal",
        'SELECT "c", LATEST("value") FROM (SELECT "cluster" AS "c", "value" FROM "khp-service-metrics")'
        ' GROUP BY "c"': "depends on __time column",
        'SELECT "host" FROM "khp-service-metrics" WHERE __time > 5': "Cannot apply '>'",
        "SELECT 1; SELECT 2": 'Encountered ";"',
    }
    for sql, message in refused.items():
        answer = _post(druid, json.dumps({"query": sql}).encode())
        assert answer["status"] == 400, sql
        assert message in json.loads(answer["body"])["errorMessage"], sql


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_stand_in_error_answers_have_druids_shape(druid: DruidStandIn, kind: str) -> None:
    druid.fail_next(kind)
    answer = _post(druid, json.dumps({"query": "SELECT 1", "context": {"sqlQueryId": "q-1"}}).encode())
    failure = FAILURES[kind]
    assert answer["status"] == failure.status
    if failure.status == 503:  # not Druid's own answer but a proxy's page
        assert "<title>Error 503 Service Unavailable</title>" in answer["body"]
        return
    body = json.loads(answer["body"])
    assert answer["headers"]["X-Druid-SQL-Query-Id"] == "q-1"
    if kind == "invalid_input":
        assert set(body) == {"error", "errorCode", "persona", "category", "errorMessage", "context"}
    else:
        assert body == {
            "error": failure.error,
            "errorMessage": failure.message.replace("{id}", "q-1"),
            "errorClass": failure.error_class,
            "host": None,
        }


def test_stand_in_times_a_slow_query_out_like_druid(druid: DruidStandIn) -> None:
    druid.latency = 30
    answer = _post(
        druid,
        json.dumps(
            {"query": 'SELECT 1 FROM "khp-service-metrics"', "context": {"sqlQueryId": "slow", "timeout": 50}}
        ).encode(),
    )
    assert (answer["status"], json.loads(answer["body"])["error"]) == (504, "Query timeout")


def test_stand_in_answers_ids_and_plain_text_queries(druid: DruidStandIn) -> None:
    druid.load(FLEET)
    sql = 'SELECT COUNT(*) AS "n" FROM "khp-service-metrics"'
    answer = _post(druid, sql.encode(), content_type="text/plain")
    assert (answer["status"], answer["body"]) == (200, '[{"n":6}]\n')
    assert answer["headers"]["X-Druid-SQL-Query-Id"] == answer["headers"]["X-Druid-Query-Id"]
    assert druid.queries[-1] == sql
    assert _post(druid, b"{}", path="/druid/v2/sqlx")["status"] == 404


def _post(
    druid: DruidStandIn, body: bytes, content_type: str = "application/json", path: str = "/druid/v2/sql"
) -> dict[str, Any]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", druid.port, timeout=5)
    connection.request("POST", path, body, {"Content-Type": content_type})
    response = connection.getresponse()
    answer = {"status": response.status, "headers": dict(response.getheaders()), "body": response.read().decode()}
    connection.close()
    return answer


# -- configuration ----------------------------------------------------------------------------


def test_options_and_defaults() -> None:
    parsed = druid_options(options(url="http://druid-broker:8082"), environ={})
    assert parsed == DruidOptions(url="http://druid-broker:8082/druid/v2/sql/")
    assert (parsed.datasource, parsed.timeout, parsed.server) == (
        "khp-service-metrics",
        10.0,
        "http://druid-broker:8082",
    )
    custom = druid_options(
        options(
            url="https://gw.example/druid-prod/druid/v2/sql",
            datasource="m",
            timeout="30s",
            context={"priority": 10, "lane": "khp"},
        ),
        environ={},
    )
    assert (custom.url, custom.datasource, custom.timeout) == ("https://gw.example/druid-prod/druid/v2/sql", "m", 30.0)
    assert custom.context == {"priority": 10, "lane": "khp"}
    secret = druid_options(
        options(url="http://d:8082", username="khp", password_env="DRUID_PASSWORD"),
        environ={"DRUID_PASSWORD": "s3cret"},
    )
    assert (secret.username, secret.password) == ("khp", "s3cret")
    assert "s3cret" not in repr(secret)


@pytest.mark.parametrize(
    ("values", "key", "problem"),
    [
        ({}, "url", "required: the Druid Broker or Router"),
        ({"url": "druid:8082"}, "url", "expected http(s)://host:port"),
        ({"url": "http://d:8082?x=1"}, "url", "no query string"),
        ({"url": "http://d", "password": "x"}, "password", "secrets never go in files"),
        ({"url": "http://d", "username": "khp"}, "password_env", "needs the name of the environment variable"),
        ({"url": "http://d", "password_env": "P"}, "username", "name the user too"),
        (
            {"url": "http://d", "username": "khp", "password_env": "MISSING"},
            "password_env",
            "environment variable MISSING is not set",
        ),
        ({"url": "http://d", "username": "khp", "password_env": "not a name"}, "password_env", "expected the name"),
        ({"url": "http://d", "jwt_env": "J", "username": "u", "password_env": "P"}, "jwt_env", "not both"),
        ({"url": "http://d", "timeout": "0s"}, "timeout", "longer than 0"),
        ({"url": "http://d", "timeout": "soon"}, "timeout", "is not a duration"),
        ({"url": "http://d", "context": {"sqlQueryId": "x"}}, "context.sqlQueryId", "khp-monitor sets it"),
        ({"url": "http://d", "context": {"timeout": 5}}, "context.timeout", "use sources.metrics.timeout"),
        ({"url": "http://d", "context": {"lane": ["a"]}}, "context.lane", "expected a string, number"),
        ({"url": "http://d", "broker": "x"}, "broker", "unknown key; allowed keys here: url, datasource"),
    ],
)
def test_option_errors_name_file_and_key(values: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        druid_options(options(**values), environ={"P": "x"})
    assert (caught.value.file, caught.value.key) == ("khp.yml", f"sources.metrics.{key}")
    assert problem in caught.value.problem


def test_options_from_a_khp_yml(tmp_path: Path) -> None:
    (tmp_path / "khp.yml").write_text(
        "sources:\n  metrics: {type: druid, url: 'http://druid:8888', timeout: 5s, username: khp,"
        " password_env: DRUID_PASSWORD}\n"
    )
    config = load_config(tmp_path / "khp.yml")
    assert config.sources.metrics.type == "druid"
    metrics = druid_metrics(config, None, environ={"DRUID_PASSWORD": "pw"})
    assert (metrics.options.url, metrics.options.timeout, metrics.source) == (
        "http://druid:8888/druid/v2/sql/",
        5.0,
        "druid http://druid:8888",
    )
    metrics.close()


# -- monitors on Druid and on the embedded store -------------------------------------------------


class SlotMonitor(Monitor):
    """Task slots per cluster, heap per host, and how many overlords report."""

    service = "druid"

    def run(self) -> None:
        used = self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
        self.emit("Task slot usage", warning=used > self.w("slots"), critical=used > self.c("slots"))
        heap = self.all("druid/overlord/jvm.heap_used_percent")
        self.emit("Heap", warning=heap > self.w("heap"), critical=heap > self.c("heap"))
        self.emit("Lonely overlord", warning=self.count("druid/overlord/taskSlot.used.count") < 2)
        busy = self.sum("druid/overlord/taskSlot.used.count", window="2m") - self.min(
            "druid/overlord/taskSlot.used.count"
        )
        self.emit("Sum minus min", warning=busy > 100)


def _run(
    config: Config, metrics: Any, store: Store, monitors: Sequence[type[Monitor]], clusters: Sequence[str] | None = None
) -> list[Problem]:
    sources = Sources(metrics, EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(config, sources, monitors) as evaluator:
        return evaluator.cycle(at=AT, clusters=clusters).problems


def test_a_monitor_finds_the_same_problems_on_druid_and_embedded(
    druid: DruidStandIn, source: DruidMetrics, store: Store
) -> None:
    rows = [
        row("alpha", "a-ov1", 950, ago=30),
        row("alpha", "a-ov2", 940, ago=100),
        row("alpha", "a-ov1", 1000, ago=30, path=("druid", "overlord", "taskSlot.total.count")),
        row("alpha", "a-ov1", 97, ago=20, path=("druid", "overlord", "jvm.heap_used_percent")),
        row("alpha", "a-ov2", 50, ago=20, path=("druid", "overlord", "jvm.heap_used_percent")),
        row("beta", "b-ov1", 10, ago=30),
        row("beta", "b-ov1", 100, ago=30, path=("druid", "overlord", "taskSlot.total.count")),
        row("beta", "b-ov1", 88, ago=20, path=("druid", "overlord", "jvm.heap_used_percent")),
    ]
    druid.load(rows)
    store.write("metrics", rows)
    config = build_config({"slots": {"warning": 80, "critical": 90}, "heap": {"warning": 85, "critical": 95}})
    on_druid = _run(config, source, store, [SlotMonitor])
    on_embedded = _run(config, EmbeddedMetrics(store), store, [SlotMonitor])
    assert on_druid == on_embedded
    assert {(p.check, p.severity, p.cluster, p.host) for p in on_druid} == {
        ("Task slot usage", "warning", "alpha", None),
        ("Task slot usage", "critical", "alpha", None),
        ("Heap", "warning", "alpha", "a-ov1"),
        ("Heap", "critical", "alpha", "a-ov1"),
        ("Heap", "warning", "beta", "b-ov1"),
        ("Lonely overlord", "warning", "beta", None),
        ("Sum minus min", "warning", "alpha", None),
    }
    assert _run(config, source, store, [SlotMonitor], clusters=["beta"]) == _run(
        config, EmbeddedMetrics(store), store, [SlotMonitor], clusters=["beta"]
    )


def test_druid_down_is_a_source_unavailable_problem_not_a_recovery(
    druid: DruidStandIn, source: DruidMetrics, store: Store
) -> None:
    druid.outage = "capacity"
    config = build_config({"slots": {"warning": 80, "critical": 90}, "heap": {"warning": 85, "critical": 95}})
    problems = _run(config, source, store, [SlotMonitor])
    assert [(p.check, p.monitor, p.severity) for p in problems] == [(SOURCE_UNAVAILABLE, "SlotMonitor", "critical")]
    assert "429 Query capacity exceeded" in problems[0].description


def test_bundled_monitors_find_the_same_problems_on_druid_and_embedded(
    druid: DruidStandIn, source: DruidMetrics, store: Store
) -> None:
    monitors = monitors_in_directory(BUNDLED_DIR)
    if not monitors or not KHP_YML.exists():
        pytest.skip("no bundled monitors or khp.yml yet")
    config = dataclasses.replace(load_config(KHP_YML), clusters=MappingProxyType({}))
    paths = _catalog_paths()
    rows = _random_rows(random.Random(11), paths, clusters=("c1", "c2", "c3", "c4"), hosts=3)
    druid.load(rows)
    store.write("metrics", rows)
    on_druid = _run(config, source, store, monitors)
    on_embedded = _run(config, EmbeddedMetrics(store), store, monitors)
    assert on_druid == on_embedded
    assert not [p for p in on_druid if p.check in (SOURCE_UNAVAILABLE, MONITOR_FAILED)]
    assert len({p.check for p in on_druid}) >= 10  # the rows do cross many thresholds


def _catalog_paths() -> list[tuple[str, str, str]]:
    """The metric paths of docs/metrics.md, with <service>/<role> filled in for a few roles."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    paths = []
    for found in sorted(set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.M))):
        if found.startswith("<service>/<role>/"):
            name = found.split("/", 2)[2]
            paths += [("hdfs", "namenode", name), ("hbase", "regionserver", name)]
        else:
            service, role, name = found.split("/", 2)
            paths.append((service, role, name))
    return paths


def _random_rows(
    rng: random.Random, paths: Sequence[Sequence[str]], clusters: Sequence[str] = ("c1", "c2", "c3"), hosts: int = 4
) -> list[MetricRow]:
    """Points every minute for 15 minutes, some hosts silent, values spread over typical thresholds."""
    rows = []
    for service, role, name in paths:
        for cluster in clusters:
            for index in range(hosts):
                if rng.random() < 0.15:
                    continue
                scale = rng.choice([1, 10, 100, 1000, 10**9])
                for minute in range(15):
                    if rng.random() < 0.2:
                        continue
                    value = float(rng.randint(0, 100) * scale // 100) if rng.random() < 0.5 else rng.random() * scale
                    rows.append(
                        MetricRow(
                            AT - minute * 60 - rng.randint(0, 59),
                            cluster,
                            f"{cluster}-h{index}",
                            service,
                            role,
                            name,
                            value,
                        )
                    )
    return rows
