"""Rows at a time depend only on the fleet's parameters and that time."""

from __future__ import annotations

import itertools

from khp.records import LogRow
from khp.simulator import Fleet

from .conftest import AT

DAY = 86400.0


def test_the_same_seed_gives_the_same_rows() -> None:
    first = Fleet(clusters=10, seed=4).rows_at(AT, since=AT - 600)
    second = Fleet(clusters=10, seed=4).rows_at(AT, since=AT - 600)

    assert first.metrics == second.metrics
    assert first.logs == second.logs
    assert first.processes == second.processes
    assert len(first.metrics) > 0 and len(first.logs) > 0 and len(first.processes) > 0


def test_a_different_seed_gives_different_faults_and_noise() -> None:
    one, two = Fleet(clusters=10, seed=1), Fleet(clusters=10, seed=2)

    assert one.faults_between(AT, AT + DAY) != two.faults_between(AT, AT + DAY)
    assert [r.value for r in one.rows_at(AT).metrics] != [r.value for r in two.rows_at(AT).metrics]


def test_a_clusters_rows_do_not_depend_on_the_fleet_size() -> None:
    small = Fleet(clusters=3, seed=5).rows_at(AT, clusters=["hadoop-003"])
    large = Fleet(clusters=40, seed=5).rows_at(AT, clusters=["hadoop-003"])

    assert small.metrics == large.metrics
    assert small.processes == large.processes
    assert small.logs == large.logs


def test_log_lines_do_not_depend_on_how_the_period_is_cut() -> None:
    fleet = Fleet(clusters=6, seed=3)
    whole = fleet.rows_at(AT, since=AT - 600).logs
    stepped = [line for t in range(int(AT) - 540, int(AT) + 1, 60) for line in fleet.rows_at(t, since=t - 60).logs]
    cuts = [AT - 600, AT - 420, AT - 95, AT]
    uneven = [line for since, t in itertools.pairwise(cuts) for line in fleet.rows_at(t, since=since).logs]

    def key(line: LogRow) -> tuple[str, str, float, str]:
        return (line.cluster, line.host, line.time, line.message)

    assert sorted(whole, key=key) == sorted(stepped, key=key) == sorted(uneven, key=key)
    assert len(whole) > 50


def test_the_fault_schedule_is_the_same_asked_whole_or_in_parts() -> None:
    fleet = Fleet(clusters=20, seed=8)
    whole = fleet.faults_between(AT, AT + DAY)
    hours = {f for h in range(24) for f in fleet.faults_between(AT + h * 3600, AT + (h + 1) * 3600)}

    assert set(whole) == hours
    for t in (AT + 1000, AT + 40000):
        assert fleet.active_faults(t) == [f for f in whole if f.active(t)]


def test_fault_rate_scales_how_often_faults_start() -> None:
    week = (AT, AT + 7 * DAY)
    none = Fleet(clusters=20, seed=1, fault_rate=0).faults_between(*week)
    normal = Fleet(clusters=20, seed=1, fault_rate=1).faults_between(*week)
    double = Fleet(clusters=20, seed=1, fault_rate=2).faults_between(*week)

    assert none == []
    assert 0 < len(normal) < len(double)
