"""When faults happen: drawn per cluster and per hour of the epoch from the seed alone.

Time is cut into hours counted from the Unix epoch. The faults that *start* in hour ``e`` on
cluster ``n`` come from a generator keyed on ``(seed, n, e)``, so the schedule at any time is
the same whether a fleet is simulated in one batch, step by step, or asked about a single
moment, and whatever the fleet's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from . import _random
from ._fault import FAULT_KINDS, Fault, FaultKind
from ._topology import Cluster

EPOCH = 3600.0
MAX_DURATION = 3 * 3600.0
FAULTS_PER_CLUSTER_HOUR = 0.6  # at fault_rate 1.0: about one cluster in ten has a fault at any time
_CACHE_SIZE = 50_000


class FaultSchedule:
    """The faults of a fleet's clusters, computed on demand and cached per (cluster, hour)."""

    def __init__(self, seed: int, fault_rate: float) -> None:
        if fault_rate < 0 or not math.isfinite(fault_rate):
            raise ValueError(f"fault_rate is a finite number >= 0, got {fault_rate!r}")
        self.seed = seed
        self.fault_rate = fault_rate
        self._cache: dict[tuple[int, int], tuple[Fault, ...]] = {}
        self._kinds: dict[str, tuple[list[FaultKind], list[float]]] = {}

    def overlapping(self, cluster: Cluster, start: float, end: float) -> list[Fault]:
        """The faults of ``cluster`` active at some time in ``[start, end)``, by start time."""
        if self.fault_rate == 0:
            return []
        first = math.floor((start - MAX_DURATION) / EPOCH)
        last = math.floor(end / EPOCH)
        found: list[Fault] = []
        for epoch in range(first, last + 1):
            found.extend(f for f in self._hour(cluster, epoch) if f.overlaps(start, end))
        return found

    def _hour(self, cluster: Cluster, epoch: int) -> tuple[Fault, ...]:
        key = (cluster.number, epoch)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            cached = self._cache[key] = self._draw(cluster, epoch)
        return cached

    def _draw(self, cluster: Cluster, epoch: int) -> tuple[Fault, ...]:
        draw = _random.rng(_random.FAULTS, self.seed, cluster.number, epoch)
        count = _poisson(draw.random, FAULTS_PER_CLUSTER_HOUR * self.fault_rate)
        kinds, weights = self._kinds_for(cluster.kind)
        faults = []
        for _ in range(count):
            kind = draw.choices(kinds, weights)[0]
            start = float(round(epoch * EPOCH + draw.random() * EPOCH))
            duration = max(kind.min_duration, _duration(draw.random(), draw.random(), kind.long))
            host = program = None
            if kind.program is not None:
                candidates = cluster.hosts_running(kind.program) if kind.program else cluster.hosts
                chosen = candidates[draw.randrange(len(candidates))]
                host = chosen.name
                if kind.names_program:
                    # Role programs crash three times as often as agents.
                    weights_of = [
                        1.0 if p.endswith(("-agent", "-shipper", "-exporter")) else 3.0 for p in chosen.programs
                    ]
                    program = draw.choices(chosen.programs, weights_of)[0]
                elif kind.program:
                    program = kind.program
            faults.append(Fault(kind.name, cluster.name, start, duration, host, program, draw.random()))
        return tuple(sorted(faults, key=lambda f: (f.start, f.kind)))

    def _kinds_for(self, cluster_kind: str) -> tuple[list[FaultKind], list[float]]:
        found = self._kinds.get(cluster_kind)
        if found is None:
            kinds = [k for k in FAULT_KINDS.values() if cluster_kind in k.kinds]
            found = self._kinds[cluster_kind] = (kinds, [k.weight for k in kinds])
        return found


def _poisson(random: Callable[[], float], mean: float) -> int:
    """Knuth's method; ``mean`` is small (about one), so it takes a couple of draws."""
    limit = math.exp(-mean)
    count, product = 0, random()
    while product > limit:
        count += 1
        product *= random()
    return count


def _duration(u: float, v: float, long: bool) -> float:
    """Mostly 1-8 minutes, sometimes 10-30, rarely 1-3 hours; ``long`` kinds always 1-3 hours."""
    if long or u < 0.03:
        seconds = 3600 + v * (MAX_DURATION - 3600)
    elif u < 0.15:
        seconds = 600 + v * 1200
    else:
        seconds = 60 + v * 420
    return float(round(seconds / 60) * 60)


def validate(faults: Sequence[Fault], clusters: dict[str, Cluster]) -> None:
    """Check planted faults against the fleet: known cluster, a host of it, a program it runs."""
    for fault in faults:
        cluster = clusters.get(fault.cluster)
        if cluster is None:
            raise ValueError(f"planted fault {fault.kind} names cluster {fault.cluster!r}, which the fleet lacks")
        kind = FAULT_KINDS[fault.kind]
        if cluster.kind not in kind.kinds:
            raise ValueError(f"a {fault.kind} fault cannot happen on {fault.cluster}, a {cluster.kind} cluster")
        if kind.program is None:
            if fault.host is not None:
                raise ValueError(f"{fault.kind} is cluster-wide: give no host")
            continue
        if fault.host is None:
            raise ValueError(f"{fault.kind} happens on a host: give one of {fault.cluster}'s hosts")
        host = cluster.host(fault.host)
        program = fault.program or kind.program
        if program and program not in host.programs:
            raise ValueError(f"{fault.host} does not run {program}; it runs {', '.join(host.programs)}")
        if kind.names_program and not fault.program:
            raise ValueError(f"a {fault.kind} fault names the program it hits")
