"""The Elasticsearch log source against a loopback stand-in speaking ES 7 and 8, through the real client."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import elasticsearch
import pytest

from evaluator import Monitor
from evaluator._context import EvaluationContext
from evaluator._queries import CycleQueries
from evaluator.testing import build_config, log, run_monitor
from khp.configuration import Config, ConfigError, SourceConfig, SourcesConfig, load_config
from khp.records import LogRow
from khp.sources import (
    EmbeddedLogs,
    EmbeddedMetrics,
    EmbeddedProcesses,
    LogQuery,
    Sample,
    SourceError,
    Sources,
    SourceUnavailable,
)
from khp.sources._elasticsearch import (
    ElasticsearchLogs,
    ElasticsearchOptions,
    elasticsearch_logs,
    elasticsearch_options,
)
from khp.sources._esquery import LogFields, es_time
from khp.store import Store, words
from tests.standins.elasticsearch import DYNAMIC_LOG_MAPPING, ElasticsearchStandIn, standard_tokens

AT = 1795946400.0  # 2026-11-29T10:00:00Z
START = AT - 600
QUERY = LogQuery("hbase", "regionserver", "responseToo*", START, AT)
INDEX = "khp-logs-2026.11.29"
SLOW = (
    "ipc.RpcServer: (responseTooSlow): "
    '{"call":"Scan(org.apache.hadoop.hbase.protobuf.generated.ClientProtos$ScanRequest)",'
    '"starttimems":1795946400000,"responsesize":12,"method":"Scan","processingtimems":10234,"client":"10.1.2.3:51234"}'
)
LARGE = "ipc.RpcServer: (responseTooLarge)"
OTHER = [
    "ipc.RpcServer: RpcServer.responder: callId: 4117 wrote 1024 bytes.",
    "regionserver.HRegion: Flushing 1/1 column families, dataSize=128.02 MB",
    "wal.AbstractFSWAL: Slow sync cost: 312 ms, current pipeline: []",
    "client.ScannerCallable: responseTimeout after 60000 ms",
    "It's 5.0 GB, done.",
    "noresponseTooSlow here, and response too slow there",
]


def row(message: str, ago: float = 60, cluster: str = "alpha", host: str = "rs1", role: str = "regionserver") -> LogRow:
    return LogRow(AT - ago, cluster, host, "hbase", role, "WARN", message)


def document(line: LogRow) -> dict[str, Any]:
    """A log row as the document DESIGN §3 puts in the index."""
    return {
        "@timestamp": es_time(line.time),
        "cluster": line.cluster,
        "host": line.host,
        "service": line.service,
        "role": line.role,
        "level": line.level,
        "message": line.message,
    }


ROWS = [
    row(SLOW),
    row(SLOW, ago=120),
    row(LARGE, host="rs2"),
    row("(responseTooSlow)", cluster="beta", host="rs1"),
    row(SLOW, ago=900),  # older than the window
    row(SLOW, ago=600),  # exactly at the window's start: out, (start, end]
    row(SLOW, ago=0, host="rs3"),  # exactly at its end: in
    row(SLOW, role="master", host="m1"),
    *(row(message, host="rs4") for message in OTHER),
]


@pytest.fixture(params=[7, 8], ids=["es7", "es8"])
def es(request: pytest.FixtureRequest) -> Iterator[ElasticsearchStandIn]:
    with ElasticsearchStandIn(version=request.param) as server:
        server.add(INDEX, [document(r) for r in ROWS])
        yield server


@pytest.fixture
def es8() -> Iterator[ElasticsearchStandIn]:
    with ElasticsearchStandIn(version=8) as server:
        server.add(INDEX, [document(r) for r in ROWS])
        yield server


def source(server: ElasticsearchStandIn, **options: Any) -> ElasticsearchLogs:
    options.setdefault("version", server.version)
    return ElasticsearchLogs(ElasticsearchOptions(hosts=(server.url,), retries=2, timeout=5, **options))


def config(options: dict[str, Any], file: str = "khp.yml") -> Config:
    logs = SourceConfig(type="elasticsearch", options=options)
    return Config(file=file, sources=SourcesConfig(logs=logs))


# -- what is sent ------------------------------------------------------------------------------


def test_a_log_count_is_one_filtered_search_aggregated_by_cluster_and_host(es: ElasticsearchStandIn) -> None:
    assert source(es).count(QUERY) == [
        Sample("alpha", "rs1", 2.0),
        Sample("alpha", "rs2", 1.0),
        Sample("alpha", "rs3", 1.0),
        Sample("beta", "rs1", 1.0),
    ]
    (sent,) = es.requests
    assert (sent.method, sent.path, sent.query) == ("POST", "/khp-logs-*/_search", {})
    media = f"application/vnd.elasticsearch+json; compatible-with={es.version}"
    assert (sent.headers["accept"], sent.headers["content-type"]) == (media, media)
    assert sent.json == {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"service": "hbase"}},
                    {"term": {"role": "regionserver"}},
                    {"wildcard": {"message": {"value": "responseToo*", "case_insensitive": True}}},
                    {
                        "range": {
                            "@timestamp": {
                                "gt": "2026-11-29T09:50:00.000Z",
                                "lte": "2026-11-29T10:00:00.000Z",
                                "format": "strict_date_optional_time",
                            }
                        }
                    },
                ]
            }
        },
        "size": 0,
        "aggs": {
            "by_cluster": {
                "terms": {"field": "cluster", "size": 1000},
                "aggs": {"by_host": {"terms": {"field": "host", "size": 10000}}},
            }
        },
    }


def test_a_cluster_count_has_no_host_level_and_a_cluster_scope_is_a_terms_filter(es: ElasticsearchStandIn) -> None:
    logs = source(es)
    assert logs.count(dataclasses.replace(QUERY, by="cluster")) == [
        Sample("alpha", None, 4.0),
        Sample("beta", None, 1.0),
    ]
    scoped = dataclasses.replace(QUERY, by="cluster", clusters=("beta", "gamma"))
    assert logs.count(scoped) == [Sample("beta", None, 1.0)]
    body = es.requests[-1].json
    assert body["query"]["bool"]["filter"][-1] == {"terms": {"cluster": ["beta", "gamma"]}}
    assert body["aggs"] == {"by_cluster": {"terms": {"field": "cluster", "size": 1000}}}
    assert logs.count(dataclasses.replace(QUERY, clusters=())) == []
    assert len(es.requests) == 2  # an empty scope asks nothing


def test_the_window_is_pinned_to_the_query_so_past_evaluations_work(es: ElasticsearchStandIn) -> None:
    past = dataclasses.replace(QUERY, start=AT - 1200, end=AT - 600)
    assert source(es).count(past) == [Sample("alpha", "rs1", 2.0)]  # the line 15 minutes and 10 minutes ago
    assert es.requests[-1].json["query"]["bool"]["filter"][3]["range"]["@timestamp"] == {
        "gt": "2026-11-29T09:40:00.000Z",
        "lte": "2026-11-29T09:50:00.000Z",
        "format": "strict_date_optional_time",
    }


def test_field_names_index_and_bucket_sizes_are_configurable(es8: ElasticsearchStandIn) -> None:
    es8.add("logs-dynamic", [document(r) for r in ROWS], mapping=DYNAMIC_LOG_MAPPING)
    names = LogFields(cluster="cluster.keyword", host="host.keyword", service="service.keyword", role="role.keyword")
    logs = source(es8, index="logs-dyn*", fields=names, cluster_buckets=5, host_buckets=50)
    assert logs.count(dataclasses.replace(QUERY, by="cluster")) == [
        Sample("alpha", None, 4.0),
        Sample("beta", None, 1.0),
    ]
    sent = es8.requests[-1]
    assert sent.path == "/logs-dyn*/_search"
    assert sent.json["query"]["bool"]["filter"][:2] == [
        {"term": {"service.keyword": "hbase"}},
        {"term": {"role.keyword": "regionserver"}},
    ]
    assert sent.json["aggs"]["by_cluster"]["terms"] == {"field": "cluster.keyword", "size": 5}


def test_index_names_are_percent_encoded_except_commas_and_stars(es8: ElasticsearchStandIn) -> None:
    with pytest.raises(SourceError):
        source(es8, index="<khp-logs-{now/d}>,khp-old-*").count(QUERY)
    assert es8.requests[-1].path == "/%3Ckhp-logs-%7Bnow%2Fd%7D%3E,khp-old-*/_search"


def test_credentials_come_from_the_environment() -> None:
    with ElasticsearchStandIn() as server:
        basic = {"url": server.url, "auth": {"username": "khp", "password_env": "KHP_ES_PASSWORD"}}
        elasticsearch_logs(config(basic), None, environ={"KHP_ES_PASSWORD": "s3cret"}).count(QUERY)
        keyed = {"url": server.url, "auth": {"api_key_env": "KHP_ES_API_KEY"}}
        elasticsearch_logs(config(keyed), None, environ={"KHP_ES_API_KEY": "key-id:key-secret"}).count(QUERY)
    assert server.requests[0].headers["authorization"] == "Basic " + base64.b64encode(b"khp:s3cret").decode()
    assert server.requests[1].headers["authorization"] == "ApiKey " + base64.b64encode(b"key-id:key-secret").decode()


# -- what comes back ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "responseToo*",
        "RESPONSETOOSLOW",
        "responsetoo*",
        "*TooLarge",
        "resp?nseTooSlow",
        "ipc.rpc*",
        "rpcserver",
        "responseToo",
        "10.1.2.3",
        "128.02",
        "it's",
        "response",
        "*",
        "nothing*",
    ],
)
def test_patterns_count_the_same_lines_as_the_embedded_store(
    es: ElasticsearchStandIn, store: Store, pattern: str
) -> None:
    store.write_logs(ROWS)
    for by in ("host", "cluster"):
        query = dataclasses.replace(QUERY, pattern=pattern, by=by)
        assert source(es).count(query) == EmbeddedLogs(store).count(query)


def test_response_too_counts_slow_and_large_lines_but_not_older_ones(es: ElasticsearchStandIn) -> None:
    with ElasticsearchStandIn(version=es.version) as fresh:
        fresh.add(INDEX, [document(row("(responseTooSlow)")), document(row(LARGE)), document(row(SLOW, ago=700))])
        assert source(fresh).count(QUERY) == [Sample("alpha", "rs1", 2.0)]


def test_the_stand_in_tokenizes_normal_log_lines_like_the_embedded_store() -> None:
    for message in [SLOW, LARGE, "(responseTooSlow)", *OTHER]:
        assert standard_tokens(message) == words(message), message


def test_a_host_name_in_two_clusters_is_two_samples(es8: ElasticsearchStandIn) -> None:
    assert source(es8).count(dataclasses.replace(QUERY, pattern="(responseTooSlow)")) == []
    assert source(es8).count(dataclasses.replace(QUERY, pattern="responsetooslow", end=AT - 1)) == [
        Sample("alpha", "rs1", 2.0),
        Sample("beta", "rs1", 1.0),
    ]


def test_more_hosts_than_the_bucket_size_is_an_error_not_a_silent_gap(es8: ElasticsearchStandIn) -> None:
    with pytest.raises(SourceError, match=r"by_host of cluster 'alpha'.*raise sources\.logs\.buckets\.hosts"):
        source(es8, host_buckets=2).count(QUERY)
    with pytest.raises(SourceError, match=r"raise sources\.logs\.buckets\.clusters"):
        source(es8, cluster_buckets=1).count(dataclasses.replace(QUERY, by="cluster"))


# -- raw queries -------------------------------------------------------------------------------


def raw_body(host_level: bool = False, metric: dict[str, Any] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"terms": {"field": "host", "size": 100}}
    by_cluster: dict[str, Any] = {"terms": {"field": "cluster", "size": 100}}
    if metric:
        (inner if host_level else by_cluster)["aggs"] = {"value": metric}
    if host_level:
        by_cluster["aggs"] = {"by_host": inner}
    return {
        "query": {"bool": {"filter": [{"term": {"level": "WARN"}}, {"wildcard": {"message": {"value": "*slow*"}}}]}},
        "size": 0,
        "aggs": {"by_cluster": by_cluster},
    }


def test_raw_queries_answer_per_cluster_or_per_host_with_doc_counts(es: ElasticsearchStandIn) -> None:
    logs = source(es)
    # no time range in this body: every WARN line with a word containing "slow", old ones and other roles too
    assert logs.raw(raw_body()) == [Sample("alpha", None, 8.0), Sample("beta", None, 1.0)]
    assert es.requests[-1].json == raw_body()  # sent as it is
    assert logs.raw(raw_body(host_level=True)) == [
        Sample("alpha", "m1", 1.0),
        Sample("alpha", "rs1", 4.0),
        Sample("alpha", "rs3", 1.0),
        Sample("alpha", "rs4", 2.0),
        Sample("beta", "rs1", 1.0),
    ]


def test_a_raw_value_aggregation_gives_the_values(es8: ElasticsearchStandIn) -> None:
    es8.add(
        "khp-slow-calls",
        [
            {"@timestamp": "2026-11-29T09:59:00Z", "cluster": "alpha", "host": "rs1", "ms": 10234},
            {"@timestamp": "2026-11-29T09:58:00Z", "cluster": "alpha", "host": "rs1", "ms": 20000},
            {"@timestamp": "2026-11-29T09:58:00Z", "cluster": "alpha", "host": "rs2"},
            {"@timestamp": "2026-11-29T09:58:00Z", "cluster": "beta", "host": "rs1", "ms": 5},
        ],
        mapping={"@timestamp": "date", "cluster": "keyword", "host": "keyword", "ms": "long"},
    )
    body = raw_body(host_level=True, metric={"max": {"field": "ms"}})
    body["query"] = {"range": {"@timestamp": {"gt": "2026-11-29T09:50:00Z", "lte": "2026-11-29T10:00:00Z"}}}
    assert source(es8).raw(body, index="khp-slow-calls") == [
        Sample("alpha", "rs1", 20000.0),
        Sample("beta", "rs1", 5.0),
    ]
    assert es8.requests[-1].path == "/khp-slow-calls/_search"
    body = raw_body(metric={"avg": {"field": "ms"}})
    body["query"] = {"match_all": {}}
    assert source(es8).raw(body, index="khp-slow-*") == [Sample("alpha", None, 15117.0), Sample("beta", None, 5.0)]


@pytest.mark.parametrize(
    ("aggs", "message"),
    [
        ({"hosts": {"terms": {"field": "host"}}}, "no aggregation named 'by_cluster' (aggregations: hosts)"),
        ({"by_cluster": {"value_count": {"field": "cluster"}}}, "'by_cluster' is not a terms aggregation"),
        (
            {"by_cluster": {"terms": {"field": "cluster"}, "aggs": {"value": {"terms": {"field": "host"}}}}},
            "'value' aggregation is not a single-value metric",
        ),
    ],
)
def test_a_raw_answer_of_another_shape_is_explained(es8: ElasticsearchStandIn, aggs: Any, message: str) -> None:
    with pytest.raises(SourceError, match=re.escape("raw query in index 'khp-logs-*': ") + ".*" + re.escape(message)):
        source(es8).raw({"size": 0, "aggs": aggs})


def test_a_raw_query_elasticsearch_cannot_parse_is_a_source_error(es: ElasticsearchStandIn) -> None:
    with pytest.raises(SourceError) as caught:
        source(es).raw({"query": {"regexpp": {"message": "x"}}, "aggs": raw_body()["aggs"]})
    assert str(caught.value) == (
        f"elasticsearch {es.url}: raw query in index 'khp-logs-*': Elasticsearch answered 400 parsing_exception: "
        "unknown query [regexpp]; the query was refused, check the raw query body"
    )


# -- errors ------------------------------------------------------------------------------------


def test_a_missing_index_names_the_index_and_the_setting(es: ElasticsearchStandIn) -> None:
    with pytest.raises(SourceError) as caught:
        source(es, index="khp-logs").count(QUERY)
    assert str(caught.value) == (
        f"elasticsearch {es.url}: log count of hbase/regionserver/responseToo* in index 'khp-logs': "
        "Elasticsearch answered 404 index_not_found_exception: no such index [khp-logs]; check sources.logs.index "
        "(or the index given to the raw query)"
    )
    assert type(caught.value) is SourceError


def test_a_wildcard_index_that_matches_nothing_is_no_lines(es: ElasticsearchStandIn) -> None:
    assert source(es, index="nothing-*").count(QUERY) == []


def test_aggregating_a_text_field_is_explained(es8: ElasticsearchStandIn) -> None:
    es8.add("logs-dynamic", [document(r) for r in ROWS], mapping=DYNAMIC_LOG_MAPPING)
    with pytest.raises(
        SourceError,
        match=r"400 illegal_argument_exception: Text fields are not optimised .* "
        r"\(search_phase_execution_exception: all shards failed\); .*"
        r"check the pattern and sources.logs.fields",
    ):
        source(es8, index="logs-dynamic").count(QUERY)


def test_the_wrong_server_version_is_explained() -> None:
    with ElasticsearchStandIn(version=7) as seven, pytest.raises(SourceError) as caught:
        source(seven, version=8).count(QUERY)
    assert str(caught.value) == (
        f"elasticsearch {seven.url}: log count of hbase/regionserver/responseToo* in index 'khp-logs-*': "
        "Elasticsearch answered 406 Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is "
        "not supported; it refused 'compatible-with=8': set sources.logs.version to the server's major version "
        "(7 or 8)"
    )
    assert len(seven.requests) == 1  # 406 is not retried


def test_busy_answers_are_retried_by_the_client(es: ElasticsearchStandIn) -> None:
    es.fail_next(429)
    es.fail_next(503)
    assert source(es).count(dataclasses.replace(QUERY, by="cluster")) == [
        Sample("alpha", None, 4.0),
        Sample("beta", None, 1.0),
    ]
    assert [r.path for r in es.requests] == ["/khp-logs-*/_search"] * 3


def test_an_outage_after_the_retries_is_source_unavailable(es: ElasticsearchStandIn) -> None:
    es.outage = 503
    with pytest.raises(SourceUnavailable) as caught:
        source(es).count(QUERY)
    assert str(caught.value) == (
        f"elasticsearch {es.url}: log count of hbase/regionserver/responseToo* in index 'khp-logs-*': "
        "Elasticsearch answered 503 cluster_block_exception: blocked by: [SERVICE_UNAVAILABLE/1/state not recovered "
        "/ initialized];, still after 2 retries; it is overloaded or unavailable"
    )
    assert len(es.requests) == 3


def test_refused_connections_are_source_unavailable() -> None:
    server = ElasticsearchStandIn().start()
    logs = source(server)
    server.stop()
    with pytest.raises(
        SourceUnavailable,
        match=r"cannot connect \(.*Connection refused; tried 3 times\); is Elasticsearch running there",
    ):
        logs.count(QUERY)


def test_a_server_that_does_not_answer_in_time_is_source_unavailable(es8: ElasticsearchStandIn) -> None:
    es8.hang = True
    with pytest.raises(
        SourceUnavailable,
        match=r"no answer within 0.2s; check the server's load or raise "
        r"sources.logs.timeout",
    ):
        ElasticsearchLogs(ElasticsearchOptions(hosts=(es8.url,), timeout=0.2)).count(QUERY)
    assert len(es8.requests) == 1  # a timeout is not retried: the monitor would wait three times as long


def test_a_server_without_the_product_header_is_refused_by_the_client(es: ElasticsearchStandIn) -> None:
    es.product_header = False
    with pytest.raises(
        SourceError,
        match=r"without the header 'X-Elastic-Product: Elasticsearch'.*check that "
        r"sources.logs.hosts points at Elasticsearch 7.14 or later",
    ):
        source(es).count(QUERY)


def test_a_partial_answer_is_an_error_not_a_lower_count(es8: ElasticsearchStandIn) -> None:
    es8.shard_failure = ("node_not_connected_exception", "[node-2][10.0.0.2:9300] Node not connected")
    with pytest.raises(SourceError) as caught:
        source(es8).count(QUERY)
    assert str(caught.value).endswith(
        "in index 'khp-logs-*': partial answer (1 of 2 shards failed: node_not_connected_exception: "
        "[node-2][10.0.0.2:9300] Node not connected)"
    )


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "check the credentials of sources.logs.auth"), (403, "needs the 'read' privilege on the index")],
)
def test_refused_credentials_are_explained(es8: ElasticsearchStandIn, status: int, hint: str) -> None:
    es8.fail_next(status)
    with pytest.raises(SourceError) as caught:
        source(es8).count(QUERY)
    assert hint in str(caught.value)
    assert len(es8.requests) == 1


# -- configuration -----------------------------------------------------------------------------


def test_the_yaml_options_for_an_elasticsearch_7_server(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "khp.yml").write_text(
        "sources:\n"
        "  logs:\n"
        "    type: elasticsearch\n"
        "    hosts: ['https://es1:9200', 'https://es2:9200']\n"
        "    version: 7\n"
        "    index: 'khp-logs-*,hbase-logs-*'\n"
        "    timeout: 15s\n"
        "    retries: 5\n"
        "    auth: {username: khp, password_env: KHP_ES_PASSWORD}\n"
        f"    ca_certs: {tmp_path / 'ca.pem'}\n"
        "    fields: {host: host.keyword, cluster: cluster.keyword}\n"
        "    buckets: {clusters: 200, hosts: 2000}\n"
        "evaluation: {parallel_queries: 32}\n"
    )
    options = elasticsearch_options(load_config(tmp_path / "khp.yml"), {"KHP_ES_PASSWORD": "pw"})
    assert options == ElasticsearchOptions(
        hosts=("https://es1:9200", "https://es2:9200"),
        index="khp-logs-*,hbase-logs-*",
        version=7,
        timeout=15.0,
        retries=5,
        basic_auth=("khp", "pw"),
        ca_certs=str(tmp_path / "ca.pem"),
        fields=LogFields(host="host.keyword", cluster="cluster.keyword"),
        cluster_buckets=200,
        host_buckets=2000,
        connections=32,
        where=f"{tmp_path / 'khp.yml'}: sources.logs",
    )
    assert "pw" not in repr(options)


def test_the_defaults() -> None:
    options = elasticsearch_options(config({}))
    assert (options.hosts, options.index, options.version, options.timeout, options.retries) == (
        ("http://127.0.0.1:9200",),
        "khp-logs-*",
        8,
        10.0,
        3,
    )
    assert (options.api_key, options.basic_auth, options.verify_certs, options.fields) == (
        None,
        None,
        True,
        LogFields(),
    )


@pytest.mark.parametrize(
    ("options", "key", "problem"),
    [
        ({"version": 9}, "sources.logs.version", "expected the server's major version, 7 or 8, got 9"),
        ({"version": "8"}, "sources.logs.version", "got '8'"),
        ({"versoin": 7}, "sources.logs.versoin", "unknown key; allowed keys here: hosts, url, index, version"),
        ({"hosts": ["es1:9200"]}, "sources.logs.hosts[0]", "expected a URL with scheme, host and port"),
        ({"url": "http://es1"}, "sources.logs.url", "expected a URL with scheme, host and port"),
        ({"url": "http://es1:9200", "hosts": []}, "sources.logs.url", "either hosts (a list) or url"),
        ({"hosts": []}, "sources.logs.hosts", "at least one URL"),
        ({"auth": {"api_key_env": "NOPE"}}, "sources.logs.auth.api_key_env", "environment variable NOPE is not set"),
        ({"auth": {"username": "khp"}}, "sources.logs.auth.password_env", "expected a non-empty string"),
        ({"auth": {"api_key_env": "K", "username": "u"}}, "sources.logs.auth.api_key_env", "not both"),
        ({"auth": {"password": "inline"}}, "sources.logs.auth.password", "unknown key"),
        ({"url": "https://es1:9200", "ca_certs": "/no/such.pem"}, "sources.logs.ca_certs", "is not a file"),
        ({"ca_certs": "/etc/hostname"}, "sources.logs.ca_certs", "only means something with https://"),
        ({"retries": -1}, "sources.logs.retries", "expected a whole number of 0 or more"),
        ({"timeout": "soon"}, "sources.logs.timeout", "is not a duration"),
        ({"buckets": {"hosts": 0}}, "sources.logs.buckets.hosts", "expected a whole number of 1 or more"),
        ({"fields": {"hostname": "h"}}, "sources.logs.fields.hostname", "allowed keys here: timestamp, message"),
        ({"verify_certs": "no"}, "sources.logs.verify_certs", "expected true or false"),
    ],
)
def test_bad_options_name_the_file_and_the_key(options: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        elasticsearch_logs(config(options, file="configs/khp.yml"), None, environ={})
    assert (caught.value.file, caught.value.key) == ("configs/khp.yml", key)
    assert problem in caught.value.problem


# -- a monitor on either source ----------------------------------------------------------------


class SlowRegionServers(Monitor):
    """The seed's rule: HBase region servers logging responseTooSlow / responseTooLarge."""

    def run(self) -> None:
        lines = self.log_count("hbase/regionserver/responseToo*", period="PT10M")
        self.emit(
            "Slow responses",
            warning=lines > self.w("hbase_response_warning_count"),
            critical=lines > self.c("hbase_response_warning_count"),
            description="responseTooSlow/responseTooLarge log lines in 10 minutes",
        )


THRESHOLDS = {"hbase_response_warning_count": {"warning": 1, "critical": 3}}
MONITOR_ROWS = [
    *(log("hbase/regionserver", SLOW, host="rs1", ago="2m") for _ in range(4)),
    log("hbase/regionserver", LARGE, host="rs2", ago="3m"),
    log("hbase/regionserver", "(responseTooSlow)", host="rs2", ago="4m"),
    log("hbase/regionserver", LARGE, cluster="beta", host="b1", ago="1m"),
    log("hbase/regionserver", "(responseTooLarge)", cluster="beta", host="b1", ago="1m"),
    *(log("hbase/regionserver", SLOW, cluster="beta", host="b2", ago="20m") for _ in range(5)),
    *(log("hbase/regionserver", message, host="rs3") for message in OTHER),
]


def outcome(problems: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(p.check, p.cluster, p.host, p.severity, p.value, p.compare, p.threshold) for p in problems]


def test_a_log_count_monitor_finds_the_same_problems_on_elasticsearch_as_on_the_embedded_store(
    es: ElasticsearchStandIn, store: Store
) -> None:
    embedded = run_monitor(SlowRegionServers, MONITOR_ROWS, thresholds=THRESHOLDS)
    assert outcome(embedded) == [
        ("Slow responses", "alpha", "rs1", "critical", 4.0, ">", 3.0),
        ("Slow responses", "alpha", "rs1", "warning", 4.0, ">", 1.0),
        ("Slow responses", "alpha", "rs2", "warning", 2.0, ">", 1.0),
        ("Slow responses", "beta", "b1", "warning", 2.0, ">", 1.0),
    ]
    with ElasticsearchStandIn(version=es.version) as fresh, ThreadPoolExecutor(4) as pool:
        fresh.add(INDEX, [document(line) for r in MONITOR_ROWS if isinstance(line := r.at(AT), LogRow)])
        logs = source(fresh)
        context = EvaluationContext(
            build_config(THRESHOLDS),
            Sources(EmbeddedMetrics(store), logs, EmbeddedProcesses(store)),
            CycleQueries(pool),
            AT,
        )
        monitor = SlowRegionServers(context)
        monitor.run()
        on_elasticsearch = sorted(monitor.problems(), key=lambda p: (p.check, p.cluster, p.host, p.severity))
    assert outcome(on_elasticsearch) == outcome(embedded)


# -- the stand-in itself, as the alert history will use it ---------------------------------------


def test_the_stand_in_takes_bulk_templates_and_info_from_the_real_client() -> None:
    with ElasticsearchStandIn(version=8) as server:
        server.bulk_failure = lambda index, doc_id, source: (
            (400, "mapper_parsing_exception", "failed to parse field [value]") if doc_id == "2" else None
        )
        client = elasticsearch.Elasticsearch(server.url)
        assert client.info()["tagline"] == "You Know, for Search"
        template = {"properties": {"@timestamp": {"type": "date"}, "cluster": {"type": "keyword"}}}
        assert client.indices.put_index_template(
            name="khp-alert-history", index_patterns=["khp-alert-history-*"], template={"mappings": template}
        ).body == {"acknowledged": True}
        answer = client.bulk(
            operations=[
                {"index": {"_index": "khp-alert-history-2026.11", "_id": "1"}},
                {"@timestamp": "2026-11-29T10:00:00Z", "cluster": "alpha", "check": "Slow responses"},
                {"index": {"_index": "khp-alert-history-2026.11", "_id": "2"}},
                {"@timestamp": "2026-11-29T10:00:00Z", "cluster": "beta", "value": "x"},
                {"create": {"_index": "khp-alert-history-2026.11", "_id": "1"}},
                {"@timestamp": "2026-11-29T10:00:00Z", "cluster": "alpha"},
            ]
        ).body
        assert answer["errors"] is True
        assert [(op, item["_id"], item["status"]) for entry in answer["items"] for op, item in entry.items()] == [
            ("index", "1", 201),
            ("index", "2", 400),
            ("create", "1", 409),
        ]
        assert answer["items"][1]["index"]["error"]["type"] == "mapper_parsing_exception"
        bulk = server.requests[-1]
        assert (bulk.method, bulk.path) == ("PUT", "/_bulk")
        assert bulk.headers["content-type"] == "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
        assert bulk.body.endswith(b"\n") and len(bulk.ndjson) == 6
        assert server.indices["khp-alert-history-2026.11"].mapping["cluster"] == "keyword"  # from the template
        counted = client.count(index="khp-alert-history-*", query={"term": {"cluster": "alpha"}})
        assert counted["count"] == 1


def test_the_stand_in_checks_media_types_like_each_version() -> None:
    with ElasticsearchStandIn(version=8) as eight:
        client = elasticsearch.Elasticsearch(eight.url)
        nine = "application/vnd.elasticsearch+json; compatible-with=9"
        with pytest.raises(elasticsearch.BadRequestError) as caught:
            client.perform_request("POST", "/_count", headers={"accept": nine, "content-type": nine}, body={})
        assert caught.value.body["error"]["type"] == "media_type_header_exception"
        assert "Accept version must be either version 8 or 7, but found 9" in str(caught.value.body)
    with ElasticsearchStandIn(version=7) as seven:
        with pytest.raises(elasticsearch.ApiError) as refused:
            elasticsearch.Elasticsearch(seven.url).count(index="*", query={"match_all": {}})
        assert refused.value.meta.status == 406
        assert refused.value.body == {
            "error": "Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is not supported",
            "status": 406,
        }
