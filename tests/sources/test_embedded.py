"""Sources over the embedded store, and ``open_sources`` building them from the configuration."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from khp.configuration import Config, ConfigError, SourceConfig, SourcesConfig, StoreConfig
from khp.records import LogRow, MetricRow, ProcessState
from khp.sources import (
    SOURCE_TYPES,
    EmbeddedLogs,
    EmbeddedMetrics,
    EmbeddedProcesses,
    LogQuery,
    MetricQuery,
    ProcessQuery,
    Sample,
    SourceError,
    SourceUnavailable,
    open_sources,
)
from khp.store import Store

AT = 1795946400.0  # 2026-11-29T10:00:00Z
START = AT - 600


@pytest.fixture
def filled(store: Store) -> Store:
    store.write_metrics(
        [
            MetricRow(AT - 60, "alpha", "t1", "kudu", "tserver", "server.tablets_num_running", 10),
            MetricRow(AT - 60, "alpha", "t2", "kudu", "tserver", "server.tablets_num_running", 30),
            MetricRow(AT - 60, "beta", "t1", "kudu", "tserver", "server.tablets_num_running", 5),
        ]
    )
    store.write_logs(
        [
            LogRow(AT - 60, "alpha", "rs1", "hbase", "regionserver", "WARN", "(responseTooSlow)"),
            LogRow(AT - 60, "alpha", "rs2", "hbase", "regionserver", "WARN", "(responseTooLarge)"),
        ]
    )
    store.write_processes(
        [
            ProcessState(AT - 60, "alpha", "zk1", "zookeeper-server", "RUNNING"),
            ProcessState(AT - 7200, "beta", "zk1", "zookeeper-server", "FATAL"),
        ]
    )
    return store


def untimed(samples: list[Sample]) -> list[Sample]:
    """The samples without the time of their data (the feeds' freshness has tests of its own)."""
    return [sample._replace(time=None) for sample in samples]


def test_metric_queries_answer_per_host_or_per_cluster(filled: Store) -> None:
    metrics = EmbeddedMetrics(filled)
    query = MetricQuery("kudu", "tserver", "server.tablets_num_running", START, AT)
    assert query.path == "kudu/tserver/server.tablets_num_running"
    assert untimed(metrics.query(query)) == [
        Sample("alpha", "t1", 10.0),
        Sample("alpha", "t2", 30.0),
        Sample("beta", "t1", 5.0),
    ]
    assert [s.time for s in metrics.query(query)] == [AT - 60] * 3  # when the newest data was taken
    assert untimed(metrics.query(dataclasses.replace(query, aggregate="sum"))) == [
        Sample("alpha", None, 40.0),
        Sample("beta", None, 5.0),
    ]
    count = dataclasses.replace(query, aggregate="count", clusters=("beta",))
    assert untimed(metrics.query(count)) == [Sample("beta", None, 1)]
    assert metrics.query(dataclasses.replace(query, start=AT - 30)) == []


def test_log_counts_answer_per_host_or_per_cluster(filled: Store) -> None:
    logs = EmbeddedLogs(filled)
    query = LogQuery("hbase", "regionserver", "responseToo*", START, AT)
    assert logs.count(query) == [Sample("alpha", "rs1", 1.0), Sample("alpha", "rs2", 1.0)]
    assert logs.count(dataclasses.replace(query, by="cluster")) == [Sample("alpha", None, 2.0)]
    assert logs.count(dataclasses.replace(query, pattern="responseTooSlow")) == [Sample("alpha", "rs1", 1.0)]


def test_process_sources_give_states_seen_processes_and_no_unreachable_hosts(filled: Store) -> None:
    processes = EmbeddedProcesses(filled)
    window = ProcessQuery(START, AT)
    assert [(p.cluster, p.host, p.name, p.statename) for p in processes.states(window)] == [
        ("alpha", "zk1", "zookeeper-server", "RUNNING")
    ]
    assert list(processes.seen(ProcessQuery(AT - 86400, AT))) == [
        ("alpha", "zk1", "zookeeper-server"),
        ("beta", "zk1", "zookeeper-server"),
    ]
    assert list(processes.unreachable(window)) == []


def _break(store: Store, table: str) -> None:
    with sqlite3.connect(store.path) as conn:
        conn.execute(f"DROP TABLE {table}")


def test_a_failing_metric_query_is_a_source_error_naming_the_path(filled: Store) -> None:
    _break(filled, "points")
    with pytest.raises(SourceError) as caught:
        EmbeddedMetrics(filled).query(MetricQuery("kudu", "tserver", "server.tablets_num_running", START, AT))
    assert caught.value.source == "embedded store"
    assert str(caught.value).startswith("embedded store: kudu/tserver/server.tablets_num_running: ")
    assert "no such table" in str(caught.value)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_failing_log_count_is_a_source_error(filled: Store) -> None:
    _break(filled, "logs")
    with pytest.raises(SourceError, match="embedded store: logs of hbase/regionserver: "):
        EmbeddedLogs(filled).count(LogQuery("hbase", "regionserver", "x", START, AT))


def test_failing_process_queries_are_source_errors(filled: Store) -> None:
    _break(filled, "process_current")
    _break(filled, "process_inventory")
    processes = EmbeddedProcesses(filled)
    with pytest.raises(SourceError, match="embedded store: process states: "):
        processes.states(ProcessQuery(START, AT))
    with pytest.raises(SourceError, match="embedded store: process inventory: "):
        processes.seen(ProcessQuery(START, AT))


def test_source_unavailable_is_a_source_error() -> None:
    error = SourceUnavailable("druid http://druid:8082", "connection refused")
    assert isinstance(error, SourceError)
    assert (error.source, str(error)) == ("druid http://druid:8082", "druid http://druid:8082: connection refused")


def _config(tmp_path: Path, **types: str) -> Config:
    sources = SourcesConfig(**{kind: SourceConfig(type) for kind, type in types.items()})
    return Config(file=str(tmp_path / "khp.yml"), sources=sources, store=StoreConfig(path=tmp_path / "var/khp.db"))


def test_open_sources_builds_embedded_sources_over_one_store(tmp_path: Path) -> None:
    sources = open_sources(_config(tmp_path))
    assert isinstance(sources.metrics, EmbeddedMetrics)
    assert isinstance(sources.logs, EmbeddedLogs)
    assert isinstance(sources.processes, EmbeddedProcesses)
    assert sources.metrics.store is sources.logs.store is sources.processes.store
    assert sources.metrics.store.path == tmp_path / "var/khp.db"
    assert (tmp_path / "var/khp.db").is_file()
    sources.metrics.store.close()


def test_open_sources_uses_a_given_store(store: Store, tmp_path: Path) -> None:
    sources = open_sources(_config(tmp_path), store)
    assert isinstance(sources.metrics, EmbeddedMetrics)
    assert sources.metrics.store is store
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("kind", ["metrics", "logs", "processes"])
def test_an_unknown_source_type_is_a_config_error_listing_the_known_ones(tmp_path: Path, kind: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_sources(_config(tmp_path, **{kind: "graphite"}))
    error = caught.value
    assert (error.file, error.key) == (str(tmp_path / "khp.yml"), f"sources.{kind}.type")
    assert f"unknown source type 'graphite'; known: {', '.join(SOURCE_TYPES[kind])}" in str(error)
    assert "embedded" in SOURCE_TYPES[kind]


def test_the_embedded_log_source_refuses_raw_searches(filled: Store) -> None:
    with pytest.raises(SourceError, match="needs the Elasticsearch log source"):
        EmbeddedLogs(filled).raw({"size": 0})
