"""What the fleet, problem and cluster pages summarise. Pure: no I/O, no Flask."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from khp.configuration import LEVELS, Config
from khp.silences import MAINTENANCE, MUTE_LEVELS, Silence

from ._filters import FleetFilter
from ._problems import CurrentProblem


@dataclass(frozen=True)
class ClusterSummary:
    """One row of the fleet page: a cluster's problems (those the filter keeps), silences and age."""

    name: str
    has_file: bool
    firing: Mapping[str, int] = field(default_factory=dict)  # severity -> problems
    pending: Mapping[str, int] = field(default_factory=dict)
    maintenance: Silence | None = None
    mutes: int = 0
    services: tuple[str, ...] = ()
    newest: float | None = None  # when its newest problem at its worst rank began
    oldest: float | None = None  # when its oldest problem at its worst rank began
    held: int = 0  # problems Alertmanager holds back (maintenance, mutes, silences, inhibition)
    flapping: int = 0  # alerts held firing as flapping

    @property
    def problems(self) -> int:
        return sum(self.firing.values()) + sum(self.pending.values())

    @property
    def rank(self) -> int:
        """0 firing critical, 1 firing warning, 2 pending critical, 3 pending warning, 4 none."""
        for rank, (counts, level) in enumerate(
            ((self.firing, "critical"), (self.firing, "warning"), (self.pending, "critical"), (self.pending, "warning"))
        ):
            if counts.get(level):
                return rank
        return len(RANKS)

    @property
    def worst(self) -> str:
        """``critical``, ``warning`` or ``""``: the severity of its worst problem."""
        return RANKS[self.rank][1] if self.rank < len(RANKS) else ""


@dataclass(frozen=True)
class FleetProblem:
    """One line of the fleet-wide problem list: the problem, and what Alertmanager does with its alert."""

    current: CurrentProblem
    held: str | None = None  # why Alertmanager holds it back ("" sends it on; None: not known there)


@dataclass(frozen=True)
class Fleet:
    """What the fleet and problem pages show under one filter."""

    clusters: list[ClusterSummary]
    problems: list[FleetProblem]
    services: list[str]  # every service known, for the filter
    known: int  # clusters known in all (before the filter)


@dataclass(frozen=True)
class Rooms:
    """The rooms of one severity for a cluster; ``default`` when they are the global ones."""

    level: str
    rooms: tuple[str, ...]
    default: bool


RANKS = (("firing", "critical"), ("firing", "warning"), ("pending", "critical"), ("pending", "warning"))


def fleet(
    config: Config,
    problems: Iterable[CurrentProblem],
    silences: Sequence[Silence] | None,
    held: Mapping[tuple, str] | None = None,
    chosen: FleetFilter | None = None,
) -> Fleet:
    """Every cluster known (cluster files, current problems, silences), filtered and sorted.

    ``held`` maps ``Problem.key`` to why Alertmanager holds its alert back ("" when it sends it),
    for the alerts Alertmanager holds; ``silences`` is None when Alertmanager did not answer.
    """
    every = list(problems)
    held = held or {}
    chosen = chosen or FleetFilter()
    services_of: dict[str, set[str]] = {}
    for name, cluster in config.clusters.items():
        services_of[name] = {role.split("/", 1)[0].lower() for roles in cluster.hosts.values() for role in roles}
    for current in every:
        if current.problem.service:
            services_of.setdefault(current.cluster, set()).add(current.problem.service.lower())
    names = set(config.clusters) | {p.cluster for p in every} | {s.cluster for s in silences or ()}
    names.discard("")
    kept = [p for p in every if chosen.keeps(p)]
    troubled = {p.cluster for p in every if not chosen.service or p.problem.service.lower() == chosen.service}
    by_cluster: dict[str, list[CurrentProblem]] = {}
    for current in kept:
        by_cluster.setdefault(current.cluster, []).append(current)
    rows = []
    for name in names:
        mine = by_cluster.get(name, [])
        services = services_of.get(name, set())
        if chosen.service and chosen.service not in services and not mine:
            continue
        if chosen.text and not mine and not chosen.matches_text(name):
            continue
        if chosen.severity in ("critical", "warning", "problems") and not mine:
            continue
        if chosen.severity == "quiet" and name in troubled:
            continue
        rows.append(_summary(config, name, mine, services, silences, held))
    order = chosen.order
    return Fleet(
        clusters=sorted(rows, key=lambda row: _cluster_order(row, order)),
        problems=[
            FleetProblem(p, held.get(p.problem.key)) for p in sorted(kept, key=lambda p: _order(p, chosen.order))
        ],
        services=sorted(set().union(*services_of.values())) if services_of else [],
        known=len(names),
    )


def _summary(
    config: Config,
    name: str,
    mine: list[CurrentProblem],
    services: set[str],
    silences: Sequence[Silence] | None,
    held: Mapping[tuple, str],
) -> ClusterSummary:
    firing = {level: sum(p.phase == "firing" and p.problem.severity == level for p in mine) for level in LEVELS}
    pending = {level: sum(p.phase != "firing" and p.problem.severity == level for p in mine) for level in LEVELS}
    row = ClusterSummary(
        name=name,
        has_file=name in config.clusters,
        firing=firing,
        pending=pending,
        maintenance=maintenance_of(name, silences or ()),
        mutes=sum(1 for s in silences or () if s.cluster == name and s.kind in MUTE_LEVELS),
        services=tuple(sorted(services)),
        held=sum(1 for p in mine if held.get(p.problem.key)),
        flapping=sum(1 for p in mine if p.flapping is not None),
    )
    if row.rank < len(RANKS):
        phase, level = RANKS[row.rank]
        worst = [p.since for p in mine if (p.phase == "firing") == (phase == "firing") and p.problem.severity == level]
        row = dataclasses.replace(row, newest=max(worst), oldest=min(worst))
    return row


def _cluster_order(row: ClusterSummary, order: str) -> tuple:
    if order == "name":
        return (row.name,)
    age = -(row.newest or 0.0) if order == "newest" else (row.oldest or 0.0)
    return (row.rank, age, row.name)


def _order(current: CurrentProblem, order: str) -> tuple:
    p = current.problem
    age = current.since if order == "oldest" else -current.since
    if order == "name":
        age = 0.0
    return (p.severity != "critical", current.phase != "firing", age, current.cluster, p.check, p.host or "")


def maintenance_of(cluster: str, silences: Iterable[Silence]) -> Silence | None:
    """The cluster's active maintenance window that ends last (a pending one counts once it starts)."""
    windows = [s for s in silences if s.cluster == cluster and s.kind == MAINTENANCE and s.state == "active"]
    return max(windows, key=lambda s: s.ends_at) if windows else None


def mutes_by_check(silences: Iterable[Silence]) -> dict[str, list[Silence]]:
    found: dict[str, list[Silence]] = {}
    for silence in silences:
        if silence.kind in MUTE_LEVELS and silence.check:
            found.setdefault(silence.check, []).append(silence)
    return found


def rooms(config: Config, cluster: str) -> list[Rooms]:
    """The rooms each severity of ``cluster`` goes to: its own (cluster file) or the defaults (routing)."""
    own: Mapping[str, tuple[str, ...]] = config.clusters[cluster].channels if cluster in config.clusters else {}
    return [
        Rooms(level, tuple(own[level]), False)
        if level in own
        else Rooms(level, tuple(config.routing.channels.get(level, ())), True)
        for level in LEVELS
    ]


def durations(limit: float, choices: Sequence[tuple[str, float]]) -> list[tuple[str, str]]:
    """The (value, label) options of a duration select, none longer than ``limit``."""
    return [(text, label) for text, seconds in choices if seconds <= limit for label in [_label(text)]]


def _label(text: str) -> str:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1]
    name = units[unit][:-1] if number == "1" else units[unit]
    return f"{number} {name}"
