"""Which hosts run which roles: the cluster files' ``hosts`` plus the processes seen."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from khp.configuration import ClusterConfig, InventoryConfig


class RoleNamer:
    """Maps a process name to ``service/role`` by the configured table, then the pattern."""

    def __init__(self, config: InventoryConfig) -> None:
        self._table = dict(config.process_roles)
        self._pattern = re.compile(config.process_pattern)
        self._known: dict[str, str | None] = {}

    def __call__(self, process: str) -> str | None:
        # Asked for every process of every host, often several times a cycle: remember the answers.
        try:
            return self._known[process]
        except KeyError:
            role = self._known[process] = self._role(process)
            return role

    def _role(self, process: str) -> str | None:
        if process in self._table:
            return self._table[process]
        found = self._pattern.match(process)
        if not found:
            return None
        return f"{found.group('service')}/{found.group('role')}"


@dataclass(frozen=True)
class Inventory:
    """``roles[(cluster, host)]`` is the set of roles expected on that host."""

    roles: Mapping[tuple[str, str], frozenset[str]]
    configured: Mapping[tuple[str, str], frozenset[str]]

    def hosts_with(self, role: str) -> list[tuple[str, str]]:
        return sorted(key for key, roles in self.roles.items() if role in roles)

    def clusters_with(self, role: str) -> list[str]:
        return sorted({cluster for (cluster, _host), roles in self.roles.items() if role in roles})

    def roles_of(self, cluster: str, host: str) -> frozenset[str]:
        return self.roles.get((cluster, host), frozenset())


def build_inventory(
    clusters: Mapping[str, ClusterConfig],
    seen: Iterable[tuple[str, str, str]],
    role_of: RoleNamer,
    only: Iterable[str] | None = None,
) -> Inventory:
    """Merge the configured hosts with ``seen`` (cluster, host, process name) triples."""
    wanted = set(only) if only is not None else None
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    configured: dict[tuple[str, str], frozenset[str]] = {}
    for name, cluster in clusters.items():
        if wanted is not None and name not in wanted:
            continue
        for host, host_roles in cluster.hosts.items():
            configured[(name, host)] = frozenset(host_roles)
            roles[(name, host)].update(host_roles)
    for cluster_name, host, process in seen:
        role = role_of(process)
        if role is not None:
            roles[(cluster_name, host)].add(role)
    return Inventory(
        roles={key: frozenset(value) for key, value in roles.items()},
        configured=configured,
    )
