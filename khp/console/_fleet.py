"""What the fleet and cluster pages summarise. Pure: no I/O, no Flask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from khp.configuration import LEVELS, Config
from khp.silences import MAINTENANCE, MUTE_LEVELS, Silence

from ._problems import CurrentProblem


@dataclass(frozen=True)
class ClusterSummary:
    """One row of the fleet page."""

    name: str
    has_file: bool
    firing: Mapping[str, int] = field(default_factory=dict)  # severity -> problems
    pending: Mapping[str, int] = field(default_factory=dict)
    maintenance: Silence | None = None
    mutes: int = 0

    @property
    def problems(self) -> int:
        return sum(self.firing.values()) + sum(self.pending.values())


@dataclass(frozen=True)
class Rooms:
    """The rooms of one severity for a cluster; ``default`` when they are the global ones."""

    level: str
    rooms: tuple[str, ...]
    default: bool


def fleet(
    config: Config, problems: Iterable[CurrentProblem], silences: Sequence[Silence] | None
) -> list[ClusterSummary]:
    """Every cluster with a file or a current problem, by name; ``silences`` None when unknown."""
    firing: dict[str, dict[str, int]] = {}
    pending: dict[str, dict[str, int]] = {}
    for current in problems:
        counts = firing if current.phase == "firing" else pending
        by_level = counts.setdefault(current.cluster, {})
        by_level[current.problem.severity] = by_level.get(current.problem.severity, 0) + 1
    names = set(config.clusters) | set(firing) | set(pending)
    names.discard("")
    return [
        ClusterSummary(
            name=name,
            has_file=name in config.clusters,
            firing={level: firing.get(name, {}).get(level, 0) for level in LEVELS},
            pending={level: pending.get(name, {}).get(level, 0) for level in LEVELS},
            maintenance=maintenance_of(name, silences or ()),
            mutes=sum(1 for s in silences or () if s.cluster == name and s.kind in MUTE_LEVELS),
        )
        for name in sorted(names)
    ]


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
