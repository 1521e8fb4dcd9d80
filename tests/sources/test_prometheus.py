"""The Prometheus metric source: against a real Prometheus, and against the embedded store for the same rows.

The same metric rows are planted a day in the past in an embedded store and (backfilled by
promtool) in a real Prometheus on a loopback port, in both series layouts the source supports
(one ``khp_metric`` with labels, and names from a template). Queries and whole monitor cycles
run as of that past time must agree. Error answers come from the real server where it can be
made to give them, and from a throwaway loopback server replaying its answers where it cannot.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import random
import socket
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evaluator import MONITOR_FAILED, SOURCE_UNAVAILABLE, Evaluator, Monitor, Problem, discover_monitors
from evaluator.testing import build_config
from khp.configuration import Config, ConfigError, SourceConfig, SourcesConfig, load_config
from khp.records import LogRow, MetricRow, ProcessState
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
from khp.sources._prometheus import PrometheusMetrics, prometheus_metrics, read_options
from khp.sources._promql import metric_name, parse_selector, quote, regex_literal
from khp.store import Store
from tests.realparts.prometheus import MISSING, Point, free_port, past_minute, running_prometheus

needs_prometheus = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

AT = past_minute()  # backfilled data must be older than ~3 hours: everything happens a day ago
WINDOW = 600.0
KHP_YML = Path(__file__).resolve().parents[2] / "khp.yml"
HOSTILE = 'nothing", name!="'  # unescaped, this would match every name of the role


# -- planted rows -------------------------------------------------------------------------------


def row(path: str, value: float, cluster: str, host: str, ago: float) -> MetricRow:
    service, role, name = path.split("/", 2)
    return MetricRow(AT - ago, cluster, host, service, role, name, float(value))


WEIRD = 'q"uote\\back{brace}\nnew.line'

UNIT_ROWS = [
    # the latest value per host in the window; older points and points before the window don't count
    row("test/latest/value", 1, "u1", "h1", 300),
    row("test/latest/value", 2, "u1", "h1", 60),
    row("test/latest/value", 5, "u1", "h2", 30),
    row("test/latest/value", 7, "u2", "h3", 120),
    row("test/latest/value", 9, "u2", "h4", 660),
    # aggregates: u1 has 10, 20 and 60 (60 replaced 100), u2 has 5; h5 reported before the window
    row("test/agg/value", 10, "u1", "h1", 60),
    row("test/agg/value", 20, "u1", "h2", 60),
    row("test/agg/value", 100, "u1", "h3", 300),
    row("test/agg/value", 60, "u1", "h3", 60),
    row("test/agg/value", 5, "u2", "h4", 60),
    row("test/agg/value", 1000, "u1", "h5", 601),
    # the window is (at - 10m, at], to the millisecond
    row("test/edge/value", 1, "u1", "at-start", WINDOW),
    row("test/edge/value", 2, "u1", "after-start", WINDOW - 0.001),
    row("test/edge/value", 3, "u1", "at-end", 0),
    row("test/edge/value", 4, "u1", "after-end", -0.001),
    # cluster names with regular-expression characters
    row("test/filter/value", 1, "a.b", "h1", 60),
    row("test/filter/value", 2, "axb", "h1", 60),
    row("test/filter/value", 3, "a|b", "h1", 60),
    row("test/filter/value", 4, "a", "h1", 60),
    # dotted names, and a name with quotes, backslash, braces and a newline
    row("test/dotted/server.tablets_num_running", 2500, "u1", "t1", 60),
    row("test/dotted/taskSlot.used.count", 42, "u1", "o1", 60),
    row(f"test/weird/{WEIRD}", 3, "u1", "h1", 60),
]

# Prometheus only: values the embedded store cannot hold, and an exporter's own metric.
EXTRA_POINTS = [
    Point(
        "khp_metric",
        {"service": "test", "role": "nan", "name": "value", "cluster": "u1", "host": host},
        value,
        AT - ago,
    )
    for host, value, ago in [
        ("n1", 7.0, 120),
        ("n1", math.nan, 60),
        ("n2", math.inf, 60),
        ("n3", -math.inf, 60),
        ("n4", 5.0, 60),
    ]
] + [
    Point("hadoop_namenode_missing_blocks", {"cluster": cluster, "instance": instance, "job": job}, value, AT - 60)
    for cluster, instance, job, value in [
        ("u1", "nn1:7071", "hadoop", 3),
        ("u1", "nn1:7072", "hadoop", 5),
        ("u1", "nn2:7071", "hadoop", 0),
        ("u2", "nn1:7071", "hadoop", 12),
        ("u2", "nn9:7071", "other", 99),
    ]
]

# The fleet the monitors run on: every catalog metric (docs/metrics.md), each minute for 20 minutes.
FLEET_CLUSTERS = ("alpha", "beta", "gamma", "delta")
FLEET_ROLES: dict[str, tuple[int, dict[str, Any]]] = {
    # role: (hosts per cluster, {metric name: (low, high) or [choices]})
    "hdfs/namenode": (
        2,
        {
            "CapacityUsed": (600, 990),
            "CapacityTotal": [1000],
            "MissingBlocks": [0, 0, 0, 3],
            "CorruptBlocks": [0, 0, 1],
            "NumDeadDataNodes": [0, 0, 1, 3],
            "jvm.heap_used_percent": (40, 99),
        },
    ),
    "yarn/resourcemanager": (2, {"NumUnhealthyNMs": [0, 0, 2], "NumLostNMs": [0, 1], "AppsPending": (0, 700)}),
    "hbase/master": (2, {"ritCount": (0, 20), "ritCountOverThreshold": [0, 0, 1, 6]}),
    "hbase/regionserver": (3, {"compactionQueueLength": (0, 200), "jvm.gc_time_ms": (0, 25000)}),
    "zookeeper/server": (3, {"outstanding_requests": (0, 1500)}),
    "kudu/tserver": (3, {"server.tablets_num_running": (500, 3000), "server.tablets_num_failed": [0, 0, 2, 15]}),
    "druid/overlord": (2, {"taskSlot.used.count": (50, 100), "taskSlot.total.count": [100]}),
    "druid/coordinator": (2, {"segment.unavailable.count": [0, 0, 50, 150]}),
    "druid/historical": (3, {"segment.usedPercent": (50, 99)}),
    "kafka/broker": (3, {"UnderReplicatedPartitions": [0, 0, 4]}),
    "kafka/controller": (3, {"OfflinePartitionsCount": [0, 0, 2], "ActiveControllerCount": [0, 1]}),
}
HOST_METRICS = {
    "cpu.user": (0, 60),
    "cpu.system": (0, 45),
    "disk.free_percent": (0, 40),
    "memory.used_percent": (50, 100),
}


def fleet() -> tuple[list[MetricRow], list[LogRow], list[ProcessState]]:
    """Deterministic fleet rows: some hosts stop early or start late, times are whole seconds."""
    rng = random.Random(20261129)
    metrics: list[MetricRow] = []
    logs: list[LogRow] = []
    processes: list[ProcessState] = []
    for cluster in FLEET_CLUSTERS:
        for role, (count, names) in FLEET_ROLES.items():
            service, role_name = role.split("/")
            for index in range(1, count + 1):
                host = f"{cluster[0]}-{role_name[:4]}{index}"
                offset = rng.randrange(60)  # offset 0 puts a point exactly on the window's start
                first, last = rng.choice([(20, 0), (20, 0), (20, 0), (20, 12), (7, 0)])
                for minute in range(first, last - 1, -1):
                    ago = minute * 60 + offset
                    for name, spread in {**names, **{f"os/{k}": v for k, v in HOST_METRICS.items()}}.items():
                        value = rng.choice(spread) if isinstance(spread, list) else round(rng.uniform(*spread), 2)
                        if name.startswith("os/"):
                            metrics.append(row(f"host/{name}", value, cluster, host, ago))
                        else:
                            metrics.append(row(f"{role}/{name}", value, cluster, host, ago))
                state = rng.choice(["RUNNING"] * 8 + ["FATAL", "BACKOFF"])
                processes.append(
                    ProcessState(
                        time=AT - 60, cluster=cluster, host=host, name=f"{service}-{role_name}", statename=state
                    )
                )
                if role == "hbase/regionserver":
                    logs.extend(
                        LogRow(
                            AT - 30 - i,
                            cluster,
                            host,
                            "hbase",
                            "regionserver",
                            "WARN",
                            "ipc.RpcServer: (responseTooSlow): {}",
                        )
                        for i in range(rng.randrange(80))
                    )
    return metrics, logs, processes


FLEET_METRICS, FLEET_LOGS, FLEET_PROCESSES = fleet()
ALL_ROWS = UNIT_ROWS + FLEET_METRICS


def points_of(rows: Sequence[MetricRow]) -> list[Point]:
    """Each row twice: as ``khp_metric`` with labels, and under its templated name."""
    points = []
    for r in rows:
        where = {"cluster": r.cluster, "host": r.host}
        points.append(
            Point("khp_metric", {**where, "service": r.service, "role": r.role, "name": r.name}, r.value, r.time)
        )
        points.append(Point(metric_name(f"khp_{r.service}_{r.role}_{r.name}"), where, r.value, r.time))
    return points


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real Prometheus holding ``ALL_ROWS`` (both layouts) and ``EXTRA_POINTS``."""
    if MISSING:
        pytest.skip(MISSING)
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), points_of(ALL_ROWS) + EXTRA_POINTS) as server:
        yield server.url


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An embedded store holding the same rows, and the fleet's logs and process states."""
    store = Store(tmp_path_factory.mktemp("embedded") / "khp.db")
    store.write_metrics(ALL_ROWS)
    store.write_logs(FLEET_LOGS)
    store.write_processes(FLEET_PROCESSES)
    yield store
    store.close()


def source(url: str, **options: Any) -> PrometheusMetrics:
    return PrometheusMetrics(read_options("khp.yml", {"url": url, **options}, environ={}))


TEMPLATE = {"series": {"template": "khp_{service}_{role}_{name}"}}
LAYOUTS = {"labels": {}, "template": TEMPLATE}


def ask(
    metrics: Any,
    path: str,
    aggregate: str | None = None,
    clusters: Sequence[str] | None = None,
    at: float = AT,
    window: float = WINDOW,
) -> list[Sample]:
    service, role, name = path.split("/", 2)
    query = MetricQuery(
        service, role, name, at - window, at, aggregate, tuple(clusters) if clusters is not None else None
    )
    return list(metrics.query(query))


def values(samples: Sequence[Sample]) -> dict[tuple[str, str | None], float]:
    return {(s.cluster, s.host): s.value for s in samples}


# -- queries against the real server ---------------------------------------------------------------


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_host_level_is_each_hosts_latest_value_in_the_window(prometheus: str, layout: str) -> None:
    metrics = source(prometheus, **LAYOUTS[layout])
    assert values(ask(metrics, "test/latest/value")) == {("u1", "h1"): 2, ("u1", "h2"): 5, ("u2", "h3"): 7}


@needs_prometheus
@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("max", {"u1": 60, "u2": 5}),
        ("min", {"u1": 10, "u2": 5}),
        ("sum", {"u1": 90, "u2": 5}),
        ("avg", {"u1": 30, "u2": 5}),
        ("count", {"u1": 3, "u2": 1}),
    ],
)
def test_aggregates_are_over_the_hosts_latest_values(prometheus: str, aggregate: str, expected: dict) -> None:
    for layout in LAYOUTS.values():
        samples = ask(source(prometheus, **layout), "test/agg/value", aggregate)
        assert values(samples) == {(cluster, None): value for cluster, value in expected.items()}


@needs_prometheus
def test_the_window_is_open_at_its_start_and_closed_at_its_end(prometheus: str) -> None:
    assert values(ask(source(prometheus), "test/edge/value")) == {("u1", "after-start"): 2, ("u1", "at-end"): 3}


@needs_prometheus
def test_evaluation_as_of_a_past_time(prometheus: str) -> None:
    metrics = source(prometheus)
    # five minutes earlier h1 still had its older value, and u2's h4 (11 minutes before AT) was in the window
    assert values(ask(metrics, "test/latest/value", at=AT - 290)) == {("u1", "h1"): 1, ("u2", "h4"): 9}
    assert ask(metrics, "test/latest/value", at=AT - 86400) == []


@needs_prometheus
@pytest.mark.parametrize(
    ("clusters", "expected"),
    [
        (("a.b",), {"a.b": 1}),
        (("axb", "a"), {"axb": 2, "a": 4}),
        (("a|b",), {"a|b": 3}),
        ((".*",), {}),
        (('a.b"} or vector(1) or {x="',), {}),
        ((), {}),
    ],
)
def test_cluster_filter_matches_names_literally(prometheus: str, clusters: tuple, expected: dict) -> None:
    for layout in LAYOUTS.values():
        samples = ask(source(prometheus, **layout), "test/filter/value", clusters=clusters)
        assert values(samples) == {(cluster, "h1"): value for cluster, value in expected.items()}


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_dotted_and_odd_names_map_to_their_series(prometheus: str, layout: str) -> None:
    metrics = source(prometheus, **LAYOUTS[layout])
    assert values(ask(metrics, "test/dotted/server.tablets_num_running")) == {("u1", "t1"): 2500}
    assert values(ask(metrics, "test/dotted/taskSlot.used.count", "max")) == {("u1", None): 42}
    assert values(ask(metrics, f"test/weird/{WEIRD}")) == {("u1", "h1"): 3}


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_hostile_path_stays_a_value(prometheus: str, layout: str) -> None:
    metrics = source(prometheus, **LAYOUTS[layout])
    for path in (
        f"test/latest/{HOSTILE}",
        'test/latest/x"} or vector(1) or khp_metric{name="value',
        "test/latest/value[1d]) or (vector(1)",
        "test/latest/`\\",
    ):
        assert ask(metrics, path) == []
        assert ask(metrics, path, "count") == []


@needs_prometheus
def test_nan_and_infinite_values_are_left_out(prometheus: str) -> None:
    metrics = source(prometheus)
    assert values(ask(metrics, "test/nan/value")) == {("u1", "n4"): 5}
    assert values(ask(metrics, "test/nan/value", "count")) == {("u1", None): 1}
    assert values(ask(metrics, "test/nan/value", "sum")) == {("u1", None): 5}


@needs_prometheus
def test_override_reads_an_exporters_metric_with_the_port_cut_off(prometheus: str) -> None:
    override = {"series": 'hadoop_namenode_missing_blocks{job="hadoop"}', "host_label": "instance", "strip_port": True}
    metrics = source(prometheus, overrides={"hdfs/namenode/MissingBlocks": override})
    # nn1 of u1 answers on two ports: one host, its larger value
    assert values(ask(metrics, "hdfs/namenode/MissingBlocks")) == {
        ("u1", "nn1"): 5,
        ("u1", "nn2"): 0,
        ("u2", "nn1"): 12,
    }
    assert values(ask(metrics, "hdfs/namenode/MissingBlocks", "max")) == {("u1", None): 5, ("u2", None): 12}
    assert values(ask(metrics, "hdfs/namenode/MissingBlocks", "count", clusters=["u1"])) == {("u1", None): 2}
    # other paths keep the configured layout
    assert values(ask(metrics, "test/agg/value", "count")) == {("u1", None): 3, ("u2", None): 1}


@needs_prometheus
def test_global_host_label_with_ports_stripped(prometheus: str) -> None:
    metrics = source(
        prometheus,
        host_label="instance",
        strip_port=True,
        overrides={"hdfs/namenode/MissingBlocks": "hadoop_namenode_missing_blocks"},
    )
    assert values(ask(metrics, "hdfs/namenode/MissingBlocks")) == {
        ("u1", "nn1"): 5,
        ("u1", "nn2"): 0,
        ("u2", "nn1"): 12,
        ("u2", "nn9"): 99,
    }


@needs_prometheus
def test_get_and_post_give_the_same_answers(prometheus: str) -> None:
    post, get = source(prometheus, method="POST"), source(prometheus, method="get")
    for aggregate in (None, "sum"):
        assert ask(get, "test/latest/value", aggregate) == ask(post, "test/latest/value", aggregate) != []


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_query_agrees_with_the_embedded_store(prometheus: str, embedded: Store, layout: str) -> None:
    metrics, reference = source(prometheus, **LAYOUTS[layout]), EmbeddedMetrics(embedded)
    for path in sorted({r.path for r in ALL_ROWS}):
        for aggregate in (None, "max", "min", "sum", "avg", "count"):
            for at, clusters in ((AT, None), (AT - 300, ("alpha", "gamma", "u1")), (AT - 150.5, ("beta",))):
                expected = ask(reference, path, aggregate, clusters, at)
                got = ask(metrics, path, aggregate, clusters, at)
                assert [(s.cluster, s.host) for s in got] == [(s.cluster, s.host) for s in expected], (path, aggregate)
                assert [s.value for s in got] == pytest.approx([s.value for s in expected], rel=1e-9)


# -- monitors: the same problems from Prometheus as from the embedded store --------------------------


class FleetHosts(Monitor):
    """Host-level checks, with arithmetic between host vectors and a cluster broadcast."""

    service = "test"

    def run(self) -> None:
        cpu = self.all("host/os/cpu.user") + self.all("host/os/cpu.system")
        self.emit("CPU", warning=cpu > self.w("t_cpu"), critical=cpu > self.c("t_cpu"), description="busy")
        tablets = self.all("kudu/tserver/server.tablets_num_running")
        self.emit("Tablets", warning=tablets > self.w("t_tablets"), description="many tablets")
        gc = self.all("hbase/regionserver/jvm.gc_time_ms") / self.avg("hbase/regionserver/jvm.gc_time_ms")
        self.emit("GC outlier", warning=gc > self.w("t_gc_ratio"), description="GC well above the cluster's mean")


class FleetClusters(Monitor):
    """Cluster aggregates of every kind."""

    service = "test"

    def run(self) -> None:
        used = self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
        self.emit("Slots", warning=used > self.w("t_slots"), critical=used > self.c("t_slots"), description="slots")
        self.emit("Disk", warning=self.min("host/os/disk.free_percent") < self.w("t_disk"), description="disk")
        self.emit(
            "URP",
            warning=self.sum("kafka/broker/UnderReplicatedPartitions") > self.w("t_urp"),
            description="under-replicated",
        )
        self.emit("Memory", warning=self.avg("host/os/memory.used_percent") > self.w("t_memory"), description="mem")
        self.emit("Hosts", warning=self.count("host/os/cpu.user") < self.w("t_hosts"), description="few hosts")
        self.emit("Recent", warning=self.max("host/os/cpu.user", window="2m") > self.w("t_recent"), description="2m")


TEST_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "t_cpu": {"warning": 80, "critical": 95},
    "t_tablets": {"warning": 2000},
    "t_gc_ratio": {"warning": 1.3},
    "t_slots": {"warning": 80, "critical": 95},
    "t_disk": {"warning": 5},
    "t_urp": {"warning": 0},
    "t_memory": {"warning": 75},
    "t_hosts": {"warning": 30},
    "t_recent": {"warning": 55},
}


def comparable(problems: Sequence[Problem]) -> list[tuple]:
    return sorted(
        (
            p.check,
            p.monitor,
            p.cluster or "",
            p.host or "",
            p.severity,
            p.compare,
            p.threshold,
            None if p.value is None else float(f"{p.value:.9g}"),
            p.description,
            p.source,
        )
        for p in problems
    )


def cycle(
    config: Config,
    metrics: Any,
    store: Store,
    monitors: Sequence[type[Monitor]],
    at: float,
    clusters: Sequence[str] | None = None,
) -> list[tuple]:
    sources = Sources(metrics, EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(config, sources, monitors) as evaluator:
        problems = evaluator.cycle(at=at, clusters=clusters).problems
    assert not [p for p in problems if p.check in (SOURCE_UNAVAILABLE, MONITOR_FAILED)], problems
    return comparable(problems)


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_monitors_find_the_same_problems_as_on_the_embedded_store(
    prometheus: str, embedded: Store, layout: str
) -> None:
    config = build_config(TEST_THRESHOLDS)
    metrics = source(prometheus, **LAYOUTS[layout])
    found = set()
    for at, clusters in ((AT, None), (AT - 300, None), (AT - 59.5, ("beta", "delta"))):
        expected = cycle(config, EmbeddedMetrics(embedded), embedded, [FleetHosts, FleetClusters], at, clusters)
        assert cycle(config, metrics, embedded, [FleetHosts, FleetClusters], at, clusters) == expected
        found |= {p[0] for p in expected}
    assert found == {"CPU", "Tablets", "GC outlier", "Slots", "Disk", "URP", "Memory", "Hosts", "Recent"}


@needs_prometheus
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bundled_monitors_find_the_same_problems_as_on_the_embedded_store(
    prometheus: str, embedded: Store, layout: str
) -> None:
    config = load_config(KHP_YML)
    monitors = discover_monitors(config)
    if not monitors:
        pytest.skip("no bundled monitors in evaluator/monitors")
    metrics = source(prometheus, **LAYOUTS[layout])
    for at in (AT, AT - 300):
        expected = cycle(config, EmbeddedMetrics(embedded), embedded, monitors, at)
        assert len({p[1] for p in expected}) >= len(monitors) // 2  # most monitors find something in this fleet
        assert cycle(config, metrics, embedded, monitors, at) == expected


def test_an_unreachable_prometheus_is_a_source_unavailable_problem(embedded: Store) -> None:
    sources = Sources(source(f"http://127.0.0.1:{free_port()}"), EmbeddedLogs(embedded), EmbeddedProcesses(embedded))
    with Evaluator(build_config(TEST_THRESHOLDS), sources, [FleetClusters]) as evaluator:
        problems = evaluator.cycle(at=AT).problems
    assert [(p.check, p.monitor, p.severity) for p in problems] == [(SOURCE_UNAVAILABLE, "FleetClusters", "critical")]
    assert "cannot connect" in problems[0].description


# -- error answers --------------------------------------------------------------------------------------


def test_server_down_is_source_unavailable_naming_server_and_path() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceUnavailable) as caught:
        ask(source(url), "hdfs/namenode/MissingBlocks", "max")
    assert str(caught.value).startswith(f"prometheus {url}: hdfs/namenode/MissingBlocks: cannot connect")
    assert "refused" in str(caught.value)


@needs_prometheus
def test_bad_data_from_the_real_server_is_a_source_error(prometheus: str) -> None:
    metrics = source(prometheus, overrides={"hdfs/namenode/MissingBlocks": 'hadoop_namenode_missing_blocks{job=~"("}'})
    with pytest.raises(SourceError) as caught:
        ask(metrics, "hdfs/namenode/MissingBlocks")
    assert not isinstance(caught.value, SourceUnavailable)
    message = str(caught.value)
    assert message.startswith(f"prometheus {prometheus}: hdfs/namenode/MissingBlocks: query refused: bad_data:")
    assert "(HTTP 400)" in message and "error parsing regexp" in message


@needs_prometheus
def test_execution_error_from_the_real_server_is_a_source_error(tmp_path: Path) -> None:
    points = points_of(UNIT_ROWS[:5])
    with (
        running_prometheus(tmp_path, points, flags=["--query.max-samples=1"]) as server,
        pytest.raises(SourceError) as caught,
    ):
        ask(source(server.url), "test/latest/value")
    assert not isinstance(caught.value, SourceUnavailable)
    assert "test/latest/value: query refused: execution: query processing would load too many samples" in str(
        caught.value
    )
    assert "(HTTP 422)" in str(caught.value)


class Replay(ThreadingHTTPServer):
    """A loopback server answering every request with one canned answer, recording what it was asked."""

    def __init__(self, status: int, body: str) -> None:
        self.status, self.body = status, body
        self.asked: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _ReplayHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ReplayHandler(BaseHTTPRequestHandler):
    server: Replay

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urllib.parse.urlsplit(self.path)
        self.server.asked.append(
            {
                "method": self.command,
                "path": url.path,
                "headers": dict(self.headers),
                "url_params": dict(urllib.parse.parse_qsl(url.query)),
                "form": dict(urllib.parse.parse_qsl(body)),
            }
        )
        payload = self.server.body.encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


EMPTY_VECTOR = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}})


@pytest.fixture
def replay() -> Iterator[Any]:
    servers: list[Replay] = []

    def start(status: int = 200, body: str | Mapping = EMPTY_VECTOR) -> Replay:
        server = Replay(status, body if isinstance(body, str) else json.dumps(body))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_prometheus_timeout_answer_is_source_unavailable(replay: Any) -> None:
    # what Prometheus 2.42 answers when a query runs past its timeout
    server = replay(
        503, {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}
    )
    with pytest.raises(SourceUnavailable) as caught:
        ask(source(server.url), "kudu/tserver/server.tablets_num_running")
    assert str(caught.value) == (
        f"prometheus {server.url}: kudu/tserver/server.tablets_num_running: Prometheus could not answer:"
        " timeout: query timed out in expression evaluation (HTTP 503)"
    )


def test_no_answer_within_the_timeout_is_source_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(SourceUnavailable) as caught:
            ask(source(url, timeout="0.2s"), "host/os/cpu.user")
    assert str(caught.value) == f"prometheus {url}: host/os/cpu.user: no answer within 0.2s"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, "<html>proxy</html>", "HTTP 200, answer '<html>proxy</html>'"),
        (200, {"status": "success", "data": {"resultType": "matrix", "result": []}}, "resultType 'matrix'"),
        (200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}, "KeyError('value')"),
        (404, "404 page not found", "HTTP 404"),
    ],
)
def test_unexpected_answers_are_source_errors(replay: Any, status: int, body: Any, expected: str) -> None:
    server = replay(status, body)
    with pytest.raises(SourceError) as caught:
        ask(source(server.url), "host/os/cpu.user")
    assert not isinstance(caught.value, SourceUnavailable)
    assert str(caught.value).startswith(f"prometheus {server.url}: host/os/cpu.user: ")
    assert expected in str(caught.value)


def test_request_carries_query_time_and_timeout(replay: Any) -> None:
    server = replay()
    ask(source(server.url + "/prom/", timeout="15s"), "host/os/cpu.user", "max", at=1795946400.25)
    ask(source(server.url, method="GET"), "host/os/cpu.user", at=1795946400.0)
    post, get = server.asked
    assert (post["method"], post["path"], post["url_params"]) == ("POST", "/prom/api/v1/query", {})
    assert post["form"]["time"] == "1795946400.250" and post["form"]["timeout"] == "15000ms"
    assert post["form"]["query"].startswith("max by (cluster) (max by (cluster, host) (last_over_time(")
    assert (get["method"], get["path"], get["form"]) == ("GET", "/api/v1/query", {})
    assert get["url_params"]["time"] == "1795946400.000" and get["url_params"]["timeout"] == "10000ms"
    assert "Authorization" not in post["headers"]


def test_basic_auth_and_bearer_token_come_from_the_environment(replay: Any) -> None:
    server = replay()
    environ = {"PROM_USER": "khp", "PROM_PASSWORD": "s3cret:x", "PROM_TOKEN": "tok-123"}
    basic = read_options(
        "khp.yml", {"url": server.url, "auth": {"username_env": "PROM_USER", "password_env": "PROM_PASSWORD"}}, environ
    )
    bearer = read_options("khp.yml", {"url": server.url, "auth": {"token_env": "PROM_TOKEN"}}, environ)
    assert "s3cret" not in repr(basic) and "tok-123" not in repr(bearer)
    ask(PrometheusMetrics(basic), "host/os/cpu.user")
    ask(PrometheusMetrics(bearer), "host/os/cpu.user")
    assert server.asked[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"khp:s3cret:x").decode()
    assert server.asked[1]["headers"]["Authorization"] == "Bearer tok-123"


def test_refused_credentials_name_the_variables(replay: Any) -> None:
    server = replay(401, "Unauthorized")
    options = read_options("khp.yml", {"url": server.url, "auth": {"token_env": "PROM_TOKEN"}}, {"PROM_TOKEN": "x"})
    with pytest.raises(SourceError, match=r"host/os/cpu.user: not allowed: HTTP 401.*check \$PROM_TOKEN"):
        ask(PrometheusMetrics(options), "host/os/cpu.user")


# -- expressions (no server) --------------------------------------------------------------------------


def test_expression_for_a_host_level_query() -> None:
    metrics = source("http://prometheus:9090")
    query = MetricQuery("kudu", "tserver", "server.tablets_num_running", AT - 600, AT)
    assert metrics.expression(query) == (
        'max by (cluster, host) (last_over_time(khp_metric{service="kudu", role="tserver",'
        ' name="server.tablets_num_running", cluster!="", host!=""}[599999ms]) < Inf > -Inf)'
    )


def test_expression_with_template_filter_and_stripped_port() -> None:
    metrics = source(
        "http://prometheus:9090",
        series={"template": "khp_{service}_{role}_{name}"},
        cluster_label="dc_cluster",
        host_label="instance",
        strip_port=True,
    )
    query = MetricQuery("druid", "overlord", "taskSlot.used.count", AT - 600, AT, "sum", ("a.b", "c+"))
    assert metrics.expression(query) == (
        "sum by (dc_cluster) (max by (dc_cluster, __khp_host) (label_replace(last_over_time("
        'khp_druid_overlord_taskSlot_used_count{dc_cluster!="", instance!="", dc_cluster=~"a\\\\.b|c\\\\+"}'
        '[599999ms]) < Inf > -Inf, "__khp_host", "$1", "instance", "(.+?)(?::[0-9]+)?")))'
    )


def test_nothing_is_asked_for_no_clusters_or_an_empty_window() -> None:
    metrics = source(f"http://127.0.0.1:{free_port()}")  # nobody listens: asking would fail
    assert ask(metrics, "host/os/cpu.user", clusters=()) == []
    assert ask(metrics, "host/os/cpu.user", window=0.001) == []


def test_quoting_and_names() -> None:
    assert quote('a"b\\c\nd\x01') == '"a\\"b\\\\c\\nd\\x01"'
    assert regex_literal("a.b|c*(d)") == "a\\.b\\|c\\*\\(d\\)"
    assert regex_literal("alpha-1 x") == "alpha-1 x"
    assert metric_name("khp_kudu_tserver_server.tablets_num_running") == "khp_kudu_tserver_server_tablets_num_running"
    assert metric_name("khp_a/b_{x}") == "khp_a_b__x_"


def test_override_selectors_are_parsed_and_requoted() -> None:
    selector = parse_selector(" up{job = 'a\\'b', instance=~`x\\d+`, } ")
    assert selector.render() == 'up{job="a\'b", instance=~"x\\\\d+"}'
    assert parse_selector('{__name__="x"}').render() == '{__name__="x"}'
    for bad in (
        "up} or vector(1",
        'up{job="x"} or vector(1)',
        "sum(up)",
        'up{job="x}',
        "up{job}",
        "",
        "up[5m]",
        'up{job=~"a"',
        'up{"job"="x"}',
    ):
        with pytest.raises(ValueError):
            parse_selector(bad)


# -- configuration ----------------------------------------------------------------------------------------


def config_with(options: Mapping[str, Any], file: str = "conf/khp.yml") -> Config:
    return Config(file=file, sources=SourcesConfig(metrics=SourceConfig("prometheus", dict(options))))


def test_factory_reads_the_options_from_khp_yml(tmp_path: Path) -> None:
    (tmp_path / "khp.yml").write_text(
        "sources:\n"
        "  metrics:\n"
        "    type: prometheus\n"
        "    url: http://prometheus:9090\n"
        "    method: get\n"
        "    timeout: 30s\n"
        "    series: {template: 'khp_{service}_{role}_{name}'}\n"
        "    overrides:\n"
        "      hdfs/namenode/MissingBlocks:\n"
        '        series: hadoop_namenode_missing_blocks{job="hadoop"}\n'
        "        host_label: instance\n"
        "        strip_port: true\n"
    )
    metrics = prometheus_metrics(load_config(tmp_path / "khp.yml"), None)
    assert (metrics.options.url, metrics.options.method, metrics.options.timeout) == (
        "http://prometheus:9090",
        "GET",
        30.0,
    )
    series = metrics.options.series.series("hdfs", "namenode", "MissingBlocks")
    assert (series.selector.render(), series.host_label, series.strip_port) == (
        'hadoop_namenode_missing_blocks{job="hadoop"}',
        "instance",
        True,
    )
    assert metrics.options.series.series("host", "os", "cpu.user").selector.render() == "khp_host_os_cpu_user{}"


@pytest.mark.parametrize(
    ("options", "key", "problem"),
    [
        ({}, "sources.metrics.url", "required for type prometheus"),
        ({"url": "prometheus:9090"}, "sources.metrics.url", "expected an http:// or https:// URL"),
        ({"url": "http://khp:pw@p:9090/"}, "sources.metrics.url", "must not hold credentials"),
        ({"url": "http://p", "verbose": True}, "sources.metrics.verbose", "unknown key; allowed keys here: url,"),
        ({"url": "http://p", "method": "PUT"}, "sources.metrics.method", "expected GET or POST"),
        ({"url": "http://p", "timeout": "soon"}, "sources.metrics.timeout", "is not a duration"),
        ({"url": "http://p", "host_label": "host-name"}, "sources.metrics.host_label", "is not a label name"),
        ({"url": "http://p", "strip_port": "yes"}, "sources.metrics.strip_port", "expected true or false"),
        (
            {"url": "http://p", "series": {"template": "khp_{service}_{cluster}_{name}"}},
            "sources.metrics.series.template",
            "{cluster} cannot be filled in",
        ),
        (
            {"url": "http://p", "series": {"template": "khp_{service}"}},
            "sources.metrics.series.template",
            "must contain {name}",
        ),
        (
            {"url": "http://p", "series": {"template": "khp_{name}", "metric": "m"}},
            "sources.metrics.series.template",
            "not both",
        ),
        ({"url": "http://p", "series": {"metric": "khp-metric"}}, "sources.metrics.series.metric", "not a metric name"),
        (
            {"url": "http://p", "series": {"labels": {"name": "role"}}},
            "sources.metrics.series.labels",
            "three different labels",
        ),
        ({"url": "http://p", "series": {"labels": {"host": "h"}}}, "sources.metrics.series.labels.host", "unknown key"),
        (
            {"url": "http://p", "overrides": {"hdfs/MissingBlocks": "x"}},
            "sources.metrics.overrides.hdfs/MissingBlocks",
            "a metric path 'service/role/name'",
        ),
        (
            {"url": "http://p", "overrides": {"a/b/c": "up} or vector(1"}},
            "sources.metrics.overrides.a/b/c",
            "unexpected '} or vector(1'",
        ),
        (
            {"url": "http://p", "overrides": {"a/b/c": {"selector": "up"}}},
            "sources.metrics.overrides.a/b/c.selector",
            "unknown key",
        ),
        ({"url": "http://p", "overrides": {"a/b/c": 3}}, "sources.metrics.overrides.a/b/c", "expected a selector"),
        (
            {"url": "http://p", "auth": {"token_env": "T", "username_env": "U"}},
            "sources.metrics.auth.token_env",
            "not both",
        ),
        ({"url": "http://p", "auth": {"username_env": "U"}}, "sources.metrics.auth.password_env", "needs both"),
        (
            {"url": "http://p", "auth": {"token_env": "KHP_TEST_UNSET_TOKEN"}},
            "sources.metrics.auth.token_env",
            "the environment variable KHP_TEST_UNSET_TOKEN is not set",
        ),
        ({"url": "http://p", "auth": {"token": "s3cret"}}, "sources.metrics.auth.token", "unknown key"),
    ],
)
def test_bad_options_are_config_errors_naming_file_and_key(options: dict, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        prometheus_metrics(config_with(options), None)
    assert (caught.value.file, caught.value.key) == ("conf/khp.yml", key)
    assert problem in caught.value.problem


def test_options_are_frozen_and_default_to_khp_metric_with_labels() -> None:
    options = read_options("khp.yml", {"url": "http://p"}, environ={})
    assert (options.method, options.timeout, options.series.metric, options.series.template) == (
        "POST",
        10.0,
        "khp_metric",
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.url = "http://q"  # type: ignore[misc]
