"""``self.log_count``: word wildcards over a role's log lines in a period, per host or per cluster."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from evaluator import SOURCE_UNAVAILABLE, DslError, Evaluator, Monitor
from evaluator.testing import build_config, log, run_monitor
from khp.records import LogRow
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, LogQuery, Sample, SourceError, Sources
from khp.store import Store

from .helpers import AT, Probe

RS = "hbase/regionserver/responseToo*"
LINES = [
    log(RS, 'ipc.RpcServer: (responseTooSlow): {"call":"Multi","processingtimems":10012}', host="a-rs1", ago="1m"),
    log(RS, "ipc.RpcServer: (responseTooLarge)", host="a-rs1", ago="2m"),
    log(RS, "Flushed region in 10ms", host="a-rs1", ago="3m"),
    log(RS, "(responseTooSlow): {...}", host="a-rs1", ago="15m"),  # in 1h, not in 10m
    log(RS, "(RESPONSETOOSLOW)", host="a-rs2", ago="30s"),
    log(RS, "(responseTooSlow)", host="a-rs2", ago=0),  # exactly at the evaluation time: counted
    LogRow(AT + 1, "alpha", "a-rs2", "hbase", "regionserver", "WARN", "(responseTooSlow)"),  # after it: not
    log(RS, "(responseTooSlow)", cluster="beta", host="b-rs1", ago="5m"),
    log("hbase/master/x", "(responseTooSlow)", host="a-m1", ago="1m"),  # another role
]


@pytest.fixture
def logs(dsl: Callable[..., Probe]) -> Probe:
    return dsl(LINES)


@pytest.mark.parametrize("period", ["PT10M", "10m", 600, "PT600S"])
def test_log_count_counts_matching_lines_per_host_in_the_period(logs: Probe, period: str | int) -> None:
    assert logs.log_count(RS, period=period).to_list() == [
        {"cluster": "alpha", "host": "a-rs1", "value": 2.0},
        {"cluster": "alpha", "host": "a-rs2", "value": 2.0},
        {"cluster": "beta", "host": "b-rs1", "value": 1.0},
    ]


def test_the_default_period_is_ten_minutes(logs: Probe) -> None:
    assert logs.log_count(RS).values() == logs.log_count(RS, period="PT10M").values()


@pytest.mark.parametrize("period", ["PT1H", "1h", 3600])
def test_a_longer_period_counts_older_lines(logs: Probe, period: str | int) -> None:
    assert logs.log_count(RS, period=period).values()[("alpha", "a-rs1")] == 3.0


def test_lines_outside_the_period_are_not_counted(logs: Probe) -> None:
    assert logs.log_count(RS, period="PT45S").values() == {("alpha", "a-rs2"): 2.0}


def test_log_count_by_cluster(logs: Probe) -> None:
    assert logs.log_count(RS, period="PT10M", by="cluster").to_list() == [
        {"cluster": "alpha", "value": 4.0},
        {"cluster": "beta", "value": 1.0},
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("responseTooSlow", {("alpha", "a-rs1"): 1.0, ("alpha", "a-rs2"): 2.0, ("beta", "b-rs1"): 1.0}),
        ("responsetoolarge", {("alpha", "a-rs1"): 1.0}),
        ("responseTooSlo?", {("alpha", "a-rs1"): 1.0, ("alpha", "a-rs2"): 2.0, ("beta", "b-rs1"): 1.0}),
        ("response*", {("alpha", "a-rs1"): 2.0, ("alpha", "a-rs2"): 2.0, ("beta", "b-rs1"): 1.0}),
        ("*Large", {("alpha", "a-rs1"): 1.0}),
        ("ipc.RpcServer", {("alpha", "a-rs1"): 2.0}),
        ("flush*", {("alpha", "a-rs1"): 1.0}),
        ("responseToo", {}),
        ("TooSlow", {}),
        ("responseTooSl?", {}),
    ],
)
def test_patterns_match_whole_words_ignoring_case(logs: Probe, pattern: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert logs.log_count(f"hbase/regionserver/{pattern}").values() == expected


def test_log_counts_compare_like_metrics(logs: Probe) -> None:
    assert (logs.log_count(RS) > 1).to_list() == [
        {"cluster": "alpha", "host": "a-rs1", "value": 2.0, "compare": ">", "threshold": 1},
        {"cluster": "alpha", "host": "a-rs2", "value": 2.0, "compare": ">", "threshold": 1},
    ]


def test_log_count_at_a_past_time(dsl: Callable[..., Probe]) -> None:
    dsl(LINES)
    assert dsl(at=AT - 600).log_count(RS, period="PT10M").values() == {("alpha", "a-rs1"): 1.0}


def test_a_monitor_emits_on_log_counts() -> None:
    class ResponseWarnings(Monitor):
        def run(self) -> None:
            count = self.log_count("hbase/regionserver/responseToo*", period="PT10M")
            self.emit("Slow or large responses", warning=count > self.w("responses"), description="responseToo* lines")

    problems = run_monitor(ResponseWarnings, LINES[:-2] + LINES[-1:], thresholds={"responses": {"warning": 1}})
    assert [(p.cluster, p.host, p.value, p.threshold) for p in problems] == [
        ("alpha", "a-rs1", 2.0, 1),
        ("alpha", "a-rs2", 2.0, 1),
    ]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda m: m.log_count("hbase/regionserver"), "is not a log path; write 'service/role/pattern'"),
        (lambda m: m.log_count("responseToo*"), "is not a log path"),
        (lambda m: m.log_count(RS, by="rack"), "by='rack': count log lines by 'host' or 'cluster'"),
        (lambda m: m.log_count(RS, period="soon"), "period: 'soon' is not a duration"),
        (lambda m: m.log_count(RS, period="PT"), "period: 'PT' is not a duration"),
    ],
)
def test_bad_log_count_calls_are_dsl_errors(dsl: Callable[..., Probe], call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DslError) as caught:
        call(dsl())
    assert fragment in str(caught.value)


# -- log_search: the raw escape hatch -------------------------------------------------------------------

BODY = {"size": 0, "aggs": {"by_cluster": {"terms": {"field": "cluster"}}}}


class CannedSearch:
    """A log source whose raw searches answer fixed samples, recording each body it was sent."""

    def __init__(self, inner: EmbeddedLogs, samples: list[Sample]) -> None:
        self.inner = inner
        self.samples = samples
        self.bodies: list[tuple[Mapping[str, Any], str | None]] = []

    def count(self, query: LogQuery) -> Sequence[Sample]:
        return self.inner.count(query)

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> Sequence[Sample]:
        self.bodies.append((body, index))
        return self.samples


@pytest.fixture
def canned(store: Store) -> CannedSearch:
    return CannedSearch(EmbeddedLogs(store), [Sample("alpha", "a-rs1", 12.0), Sample("beta", None, 3.0)])


def with_logs(store: Store, logs: object) -> Sources:
    return Sources(EmbeddedMetrics(store), logs, EmbeddedProcesses(store))  # type: ignore[arg-type]


def test_log_search_reads_the_answer_as_a_vector(dsl: Callable[..., Probe], store: Store, canned: CannedSearch) -> None:
    monitor = dsl(sources=with_logs(store, canned))
    assert monitor.log_search(BODY).to_list() == [
        {"cluster": "alpha", "host": "a-rs1", "value": 12.0},
        {"cluster": "beta", "value": 3.0},
    ]
    assert (monitor.log_search(BODY, index="khp-logs-*") > 5).values() == {("alpha", "a-rs1"): 12.0}
    assert canned.bodies == [(BODY, None), (BODY, "khp-logs-*")]


def test_log_search_keeps_to_the_cluster_scope(dsl: Callable[..., Probe], store: Store, canned: CannedSearch) -> None:
    monitor = dsl(sources=with_logs(store, canned), only=["beta"])
    assert monitor.log_search(BODY).clusters() == ["beta"]


def test_identical_searches_of_a_cycle_run_once(dsl: Callable[..., Probe], store: Store, canned: CannedSearch) -> None:
    monitor = dsl(sources=with_logs(store, canned))
    first = monitor.log_search(BODY)
    second = monitor.log_search({"aggs": {"by_cluster": {"terms": {"field": "cluster"}}}, "size": 0})
    assert first.values() == second.values()
    assert len(canned.bodies) == 1
    assert monitor.context.queries.stats.requested == 2


def test_log_search_body_must_be_json(dsl: Callable[..., Probe]) -> None:
    with pytest.raises(DslError, match="log_search takes a JSON-like query body"):
        dsl().log_search({"query": object()})


def test_the_embedded_store_cannot_run_a_raw_search(dsl: Callable[..., Probe]) -> None:
    vector = dsl().log_search(BODY)
    with pytest.raises(SourceError, match="needs the Elasticsearch log source"):
        vector.to_list()


def test_a_raw_search_on_the_embedded_store_is_source_unavailable(store: Store) -> None:
    class SlowestCall(Monitor):
        def run(self) -> None:
            self.emit("Slowest call", warning=self.log_search(BODY) > 1000)

    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(build_config(), sources, [SlowestCall]) as evaluator:
        result = evaluator.cycle(at=AT)
    assert [(p.check, p.monitor) for p in result.problems] == [(SOURCE_UNAVAILABLE, "SlowestCall")]
