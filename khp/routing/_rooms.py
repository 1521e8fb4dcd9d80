"""Which rooms each receiver stands for, read from the khp config (alertmanager.yml never holds them)."""

from __future__ import annotations

from collections.abc import Iterable

from khp.configuration import LEVELS, ClusterConfig, Config

from ._names import DEFAULT, HEARTBEAT_RECEIVER, parse_receiver_name, receiver_name


def routed_clusters(config: Config) -> list[ClusterConfig]:
    """The clusters that get a route of their own: those with own channels or own timings, by name."""
    return [config.clusters[name] for name in sorted(config.clusters) if _has_own_route(config.clusters[name])]


def _has_own_route(cluster: ClusterConfig) -> bool:
    timings = cluster.routing
    own_timings = (timings.group_wait, timings.group_interval, timings.repeat_interval) != (None, None, None)
    return bool(cluster.channels) or own_timings


def level_receiver(cluster: ClusterConfig | None, level: str) -> str:
    """The receiver for ``level`` alerts of ``cluster``: its own if its file sets that level's rooms."""
    if cluster is not None and (level in cluster.channels or (level == DEFAULT and cluster.channels)):
        return receiver_name(level, cluster.name)
    return receiver_name(level)


def receiver_rooms(config: Config) -> dict[str, tuple[str, ...]]:
    """Every receiver of the rendered config, in its order, with the rooms it stands for."""
    rooms: dict[str, tuple[str, ...]] = {HEARTBEAT_RECEIVER: ()}
    rooms.update({receiver_name(level): _default_rooms(config, level) for level in (DEFAULT, *LEVELS)})
    for cluster in routed_clusters(config):
        for level in (DEFAULT, *LEVELS):
            name = level_receiver(cluster, level)
            if name not in rooms:
                rooms[name] = _cluster_rooms(config, cluster, level)
    return rooms


def alert_rooms(config: Config, cluster: str | None, severity: str) -> tuple[str, ...]:
    """The rooms an alert of ``severity`` on ``cluster`` reaches through the rendered routes."""
    own = config.clusters.get(cluster) if cluster else None
    return rooms_for_receiver(config, level_receiver(own, severity if severity in LEVELS else DEFAULT))


def critical_rooms(config: Config) -> tuple[str, ...]:
    """Every room that receives critical alerts (the default ones and each cluster's): where
    the receiver says that monitoring itself is blind, and when it sees again."""
    found = [*config.routing.channels.get("critical", ())]
    for name in sorted(config.clusters):
        found += config.clusters[name].channels.get("critical", ())
    return _unique(found)


def rooms_for_receiver(config: Config, name: str) -> tuple[str, ...]:
    """The rooms behind receiver ``name`` (``channel:target`` strings), as the khp receiver needs them.

    A cluster the config no longer has, or a level it has no rooms of its own for, falls back to
    the default rooms: an alertmanager.yml older than the config still reaches someone.
    Raises ``UnknownReceiver`` for a name that is not ``khp-[<cluster>-]<level>``.
    """
    parsed = parse_receiver_name(name)
    if parsed.heartbeat:
        return ()
    cluster = config.clusters.get(parsed.cluster) if parsed.cluster else None
    if cluster is None:
        return _default_rooms(config, parsed.level)
    return _cluster_rooms(config, cluster, parsed.level)


def _levels(level: str) -> tuple[str, ...]:
    return LEVELS if level == DEFAULT else (level,)


def _default_rooms(config: Config, level: str) -> tuple[str, ...]:
    return _unique(room for each in _levels(level) for room in config.routing.channels.get(each, ()))


def _cluster_rooms(config: Config, cluster: ClusterConfig, level: str) -> tuple[str, ...]:
    return _unique(
        room
        for each in _levels(level)
        for room in (cluster.channels[each] if each in cluster.channels else config.routing.channels.get(each, ()))
    )


def _unique(rooms: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(rooms))
