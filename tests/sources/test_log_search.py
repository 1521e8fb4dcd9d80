"""``Monitor.log_search``: a raw Elasticsearch body as a vector, through the real client and stand-in."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from evaluator import Monitor
from evaluator._context import EvaluationContext
from evaluator._queries import CycleQueries
from evaluator.testing import build_config
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, SourceError, Sources
from khp.sources._esquery import es_time
from khp.store import Store

from ..standins.elasticsearch import LOG_MAPPING, ElasticsearchStandIn
from .test_elasticsearch import AT, INDEX, source

THRESHOLDS = {"hbase_slowest_call_ms": {"warning": 1000, "critical": 5000}}


class SlowestCall(Monitor):
    """The slowest RPC per RegionServer, from a raw Elasticsearch aggregation."""

    def run(self) -> None:
        slowest = self.log_search(
            {
                "size": 0,
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"service": "hbase"}},
                            {"range": {"@timestamp": {"gt": es_time(self.at - 600), "lte": es_time(self.at)}}},
                        ]
                    }
                },
                "aggs": {
                    "by_cluster": {
                        "terms": {"field": "cluster"},
                        "aggs": {
                            "by_host": {
                                "terms": {"field": "host"},
                                "aggs": {"value": {"max": {"field": "processingtimems"}}},
                            }
                        },
                    }
                },
            }
        )
        self.emit(
            "Slowest call",
            warning=slowest > self.w("hbase_slowest_call_ms"),
            critical=slowest > self.c("hbase_slowest_call_ms"),
            description="an RPC took longer than the threshold",
        )


def doc(cluster: str, host: str, ms: float, ago: float) -> dict[str, Any]:
    return {
        "@timestamp": es_time(AT - ago),
        "cluster": cluster,
        "host": host,
        "service": "hbase",
        "role": "regionserver",
        "level": "WARN",
        "message": "(responseTooSlow)",
        "processingtimems": ms,
    }


def run(sources: Sources, clusters: tuple[str, ...] | None = None) -> list[tuple[Any, ...]]:
    with ThreadPoolExecutor(2) as pool:
        context = EvaluationContext(build_config(THRESHOLDS), sources, CycleQueries(pool), AT, clusters)
        monitor = SlowestCall(context)
        monitor.run()
        problems = monitor.problems()
    return sorted((p.cluster, p.host, p.severity, p.value, p.threshold) for p in problems)


def test_a_raw_aggregation_comes_back_as_a_host_vector_and_is_compared_per_cluster(tmp_path: Any) -> None:
    store = Store(tmp_path / "khp.db")
    with ElasticsearchStandIn(version=8) as es:
        docs = [
            doc("alpha", "rs1", 7000, 60),
            doc("alpha", "rs1", 200, 30),
            doc("alpha", "rs2", 1500, 120),
            doc("beta", "b1", 900, 60),
            doc("beta", "b2", 9000, 1200),
        ]
        es.add(INDEX, docs, mapping={**LOG_MAPPING, "processingtimems": "long"})
        sources = Sources(EmbeddedMetrics(store), source(es), EmbeddedProcesses(store))
        assert run(sources) == [
            ("alpha", "rs1", "critical", 7000.0, 5000),
            ("alpha", "rs1", "warning", 7000.0, 1000),
            ("alpha", "rs2", "warning", 1500.0, 1000),
        ]
        assert run(sources, clusters=("beta",)) == []  # b2's slow call is older than the window


def test_the_embedded_store_refuses_a_raw_query_with_a_clear_error(tmp_path: Any) -> None:
    store = Store(tmp_path / "khp.db")
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with pytest.raises(SourceError, match="needs the Elasticsearch log source"):
        run(sources)
