"""A cluster's metric values at one time, one per series in an order fixed once per cluster.

``MetricPlan(cluster, seed)`` lays out the series each host reports, in the order the values
are made (host, then program, then the program's metrics of ``_metrics.PROGRAM_METRICS``), and
the key of each host's noise. ``values(t, condition)`` gives one value per series, ``None``
where nothing is reported (a silent host, a program down, hung or removed). A cluster without
faults, as most are most of the time, takes a short path that skips the faults' lookups but
draws the same noise: a week of a fleet is made of hundreds of millions of values.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import _random
from ._condition import HEALTHY, Condition
from ._metrics import LEADER_PROGRAMS, PROGRAM_METRICS, Baseline, MetricSpec, daily_load
from ._topology import Cluster, Host

SeriesKey = tuple[str, str, str, str, str]  # service, role, name, cluster, host: the store's series


def _inactive(host: Host, cluster: Cluster, t: float, load: float, n: float) -> float:
    """A leader-only metric of an instance that is not the leader: 0 (its noise is drawn all the same)."""
    return 0.0


@dataclass(frozen=True)
class _Program:
    name: str
    specs: tuple[MetricSpec, ...]
    paths: frozenset[str]
    healthy: tuple[Baseline, ...]  # with the leaders of a cluster without faults


@dataclass(frozen=True)
class _HostPlan:
    host: Host
    noise: int  # mix of (METRICS, seed, cluster, host): each second's generator adds the second
    programs: tuple[_Program, ...]  # the host's programs that report metrics
    healthy: tuple[Baseline, ...]  # every program's, one after the other
    count: int  # series of the host


class MetricPlan:
    """The series of one cluster and how their values are made."""

    def __init__(self, cluster: Cluster, seed: int) -> None:
        self.cluster = cluster
        self._leaders = leaders = leaders_of(cluster, HEALTHY)
        keys: list[SeriesKey] = []
        hosts = []
        for host in cluster.hosts:
            programs = tuple(
                _program(p, leads=host.name == leaders.get(p)) for p in host.programs if p in PROGRAM_METRICS
            )
            first = len(keys)
            keys += [(s.service, s.role, s.name, cluster.name, host.name) for p in programs for s in p.specs]
            noise = _random.mix(_random.METRICS, seed, cluster.number, host.index)
            healthy = tuple(f for p in programs for f in p.healthy)
            hosts.append(_HostPlan(host, noise, programs, healthy, len(keys) - first))
        self.keys: tuple[SeriesKey, ...] = tuple(keys)
        self._hosts = tuple(hosts)

    def values(self, t: float, condition: Condition) -> list[float | None]:
        """The value of each series of ``keys`` at ``t``; ``None`` for those not reported.

        A fault's value for ``(host, path)`` replaces the baseline on that host; one for ``(None,
        path)`` on every host, except that a leader-only value goes to the leader alone.
        """
        second = math.floor(t)
        cluster = self.cluster
        load = daily_load(t, cluster)
        draws = _random.Draws(0)
        noise = draws.random
        extend = _random.extend
        out: list[float | None] = []
        if not (condition.silent or condition.down or condition.hung or condition.removed or condition.values):
            for plan in self._hosts:
                draws.seed(extend(plan.noise, second))
                host = plan.host
                out += [f(host, cluster, t, load, 2.0 * noise() - 1.0) for f in plan.healthy]
            return out
        values = condition.values
        touched = {path for _host, path in values}
        leaders = leaders_of(cluster, condition)
        moved = leaders != self._leaders  # a failover: leader-only values move to another host
        for plan in self._hosts:
            host = plan.host
            if condition.silent_program(host.name, "khp-agent"):
                out += [None] * plan.count  # the agent ships every metric of its host
                continue
            draws.seed(extend(plan.noise, second))
            for program in plan.programs:
                if condition.silent_program(host.name, program.name):
                    out += [None] * len(program.specs)
                elif not moved and touched.isdisjoint(program.paths):
                    out += [f(host, cluster, t, load, 2.0 * noise() - 1.0) for f in program.healthy]
                else:
                    out += self._faulty(program, host, t, load, noise, leaders, values)
        return out

    def _faulty(
        self,
        program: _Program,
        host: Host,
        t: float,
        load: float,
        noise: Callable[[], float],
        leaders: dict[str, str],
        values: dict[tuple[str | None, str], float],
    ) -> list[float]:
        found = []
        for spec in program.specs:
            value = spec.baseline(host, self.cluster, t, load, 2.0 * noise() - 1.0)
            if spec.leader and host.name != leaders.get(program.name):
                value = values.get((host.name, spec.path), 0.0) if values else 0.0
            elif values:
                value = values.get((host.name, spec.path), values.get((None, spec.path), value))
            found.append(value)
        return found


@functools.cache
def _program(name: str, leads: bool) -> _Program:
    """What a program reports, shared by every host that runs it (a fleet of 1,000 clusters has 184,105)."""
    specs = PROGRAM_METRICS[name]
    healthy = tuple(_inactive if s.leader and not leads else s.baseline for s in specs)
    return _Program(name, specs, frozenset(s.path for s in specs), healthy)


def leaders_of(cluster: Cluster, condition: Condition) -> dict[str, str]:
    """The active instance of each HA role: the first host whose program is up (a failover moves it)."""
    found: dict[str, str] = {}
    for host in cluster.hosts:
        if host.name in condition.silent:
            continue
        for program in host.programs:
            if program in LEADER_PROGRAMS and program not in found and (host.name, program) not in condition.down:
                found[program] = host.name
    return found
