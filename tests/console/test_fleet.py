"""The fleet for 100+ clusters: every known cluster, sorted by severity then age, filtered by service,
severity and text, and the fleet-wide problem list. Pure: ``fleet`` and ``FleetFilter``."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from evaluator import Problem
from khp.configuration import ClusterConfig, Config
from khp.console._filters import FilterError, FleetFilter
from khp.console._fleet import fleet
from khp.console._problems import CurrentProblem
from khp.silences import Silence

from .helpers import problem

NOW = 1795946400.0


def config(names: list[str]) -> Config:
    clusters = {
        name: ClusterConfig(name=name, file=f"/c/{name}.yml", hosts=MappingProxyType({"h1": ("hbase/regionserver",)}))
        if name.startswith("hb")
        else ClusterConfig(name=name, file=f"/c/{name}.yml")
        for name in names
    }
    return Config(clusters=MappingProxyType(clusters))


def current(p: Problem, phase: str = "firing", age: float = 600.0, flapping: float | None = None) -> CurrentProblem:
    return CurrentProblem(
        p, phase, since=NOW - age, fired=NOW - age + 300 if phase == "firing" else None, flapping=flapping
    )


def hdfs(check: str, cluster: str, severity: str = "warning", host: str = "dn1") -> Problem:
    return dataclasses.replace(problem(check, cluster, severity, host=host, monitor="HdfsMonitor"), service="hdfs")


NAMES = [f"c{n:03d}" for n in range(120)] + ["hb1", "hb2"]
PROBLEMS = [
    current(problem("Task slot usage", "c007", "critical"), age=7200),  # critical, older
    current(problem("Task slot usage", "c007"), age=7200),
    current(hdfs("Dead DataNodes", "c042", "critical"), age=120),  # critical, newest
    current(hdfs("Disk space low", "c013"), age=60),  # warning only
    current(problem("Task slot usage", "c077", "critical"), phase="pending", age=30),  # pending critical
    current(hdfs("Disk space low", "hb1", host="hb1-dn3"), age=3000, flapping=NOW - 100),
    current(problem("Task slot usage", "orphan"), age=50),  # no cluster file
]


def test_every_known_cluster_sorted_by_severity_then_age() -> None:
    shown = fleet(config(NAMES), PROBLEMS, [])
    order = [row.name for row in shown.clusters]
    assert len(order) == len(NAMES) + 1 == shown.known
    # firing critical newest first, firing warning (newest first), pending critical, then the quiet by name
    assert order[:7] == ["c042", "c007", "orphan", "c013", "hb1", "c077", "c000"]
    assert order[7:10] == ["c001", "c002", "c003"]
    first = shown.clusters[0]
    assert (first.worst, first.firing, first.newest) == ("critical", {"warning": 0, "critical": 1}, NOW - 120)
    assert shown.clusters[order.index("hb1")].flapping == 1
    assert not shown.clusters[order.index("orphan")].has_file
    oldest = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(order="oldest"))
    assert [row.name for row in oldest.clusters][:2] == ["c007", "c042"]
    assert [row.name for row in fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(order="name")).clusters][:2] == [
        "c000",
        "c001",
    ]


def test_the_fleet_wide_problem_list_is_sorted_the_same_way() -> None:
    shown = fleet(
        config(NAMES), PROBLEMS, [], held={PROBLEMS[2].problem.key: "maintenance", PROBLEMS[3].problem.key: ""}
    )
    listed = [(p.current.cluster, p.current.problem.severity, p.current.phase) for p in shown.problems]
    assert listed == [
        ("c042", "critical", "firing"),
        ("c007", "critical", "firing"),
        ("c077", "critical", "pending"),
        ("orphan", "warning", "firing"),
        ("c013", "warning", "firing"),
        ("hb1", "warning", "firing"),
        ("c007", "warning", "firing"),
    ]
    assert [p.held for p in shown.problems[:5]] == ["maintenance", None, None, None, ""]
    assert shown.clusters[0].held == 1


def test_filters_by_service_severity_and_text() -> None:
    by_service = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(service="hdfs"))
    assert [row.name for row in by_service.clusters] == ["c042", "c013", "hb1"]
    assert {p.current.problem.service for p in by_service.problems} == {"hdfs"}
    hbase = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(service="hbase"))
    assert [row.name for row in hbase.clusters] == ["hb1", "hb2"]  # the clusters that run it, by their inventory
    assert hbase.problems == [] and hbase.clusters[0].problems == 0
    critical = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(severity="critical"))
    assert [row.name for row in critical.clusters] == ["c042", "c007", "c077"]
    assert critical.clusters[1].firing == {"warning": 0, "critical": 1}  # its warning is filtered out
    quiet = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(severity="quiet"))
    assert len(quiet.clusters) == len(NAMES) - 5 and "c007" not in {row.name for row in quiet.clusters}
    text = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(text="HB1-DN"))
    assert [row.name for row in text.clusters] == ["hb1"] and len(text.problems) == 1
    by_name = fleet(config(NAMES), PROBLEMS, [], chosen=FleetFilter(text="c07"))
    assert [row.name for row in by_name.clusters] == [
        "c077",
        "c070",
        "c071",
        "c072",
        "c073",
        "c074",
        "c075",
        "c076",
        "c078",
        "c079",
    ]
    assert "hbase" in by_service.services and "hdfs" in by_service.services


def test_silences_show_on_their_cluster() -> None:
    window = Silence("s1", "maintenance", "c013", None, NOW - 60, NOW + 3600, "kim", "upgrade", "active", True)
    mute = Silence("s2", "cri", "c013", "Disk space low", NOW - 60, NOW + 3600, "kim", "", "active", True)
    row = next(r for r in fleet(config(NAMES), PROBLEMS, [window, mute]).clusters if r.name == "c013")
    assert row.maintenance == window and row.mutes == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"severity": "urgent"}, "severity 'urgent': choose one of critical, warning, problems, quiet"),
        ({"order": "random"}, "order 'random': choose one of newest, oldest, name"),
        ({"q": "x" * 201}, "longer than 200 characters"),
        ({"service": "h d f s"}, "a service is a name of letters"),
    ],
)
def test_a_filter_no_form_offers_is_refused(args: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        FleetFilter.parse(args)


def test_the_filter_round_trips_through_the_query_string() -> None:
    chosen = FleetFilter.parse({"service": "HDFS", "severity": "critical", "q": " dn1 ", "order": "oldest"})
    assert chosen == FleetFilter("hdfs", "critical", "dn1", "oldest") and chosen.active
    assert FleetFilter.parse(chosen.query()) == chosen
    assert FleetFilter.parse({}) == FleetFilter() and not FleetFilter().active
