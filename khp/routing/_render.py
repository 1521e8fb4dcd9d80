"""``render_alertmanager_config``: the khp config as an ``alertmanager.yml`` document (a dict)."""

from __future__ import annotations

from typing import Any

from khp.configuration import LEVELS, ClusterConfig, Config, RouteTimings, RoutingConfig

from ._names import DEFAULT, HEARTBEAT_RECEIVER, receiver_name
from ._rooms import level_receiver, receiver_rooms, routed_clusters

GROUP_BY = ("alertname", "cluster")
INHIBIT_EQUAL = ("alertname", "cluster", "host")
_TIMINGS = ("group_wait", "group_interval", "repeat_interval")


def render_alertmanager_config(config: Config) -> dict[str, Any]:
    """The ``alertmanager.yml`` for ``config``: the same config always gives the same document.

    The evaluator's heartbeat goes first to the receiver ``khp-heartbeat``, repeated every
    ``heartbeat.repeat_interval`` so the receiver hears it while the evaluator runs. Clusters with
    their own rooms or timings get a route each (by name, before the defaults, ``continue:
    false``) with a sub-route per severity; every other alert takes the severity routes to the
    default rooms. Critical inhibits warning on equal alertname, cluster and host.
    """
    routes = [_heartbeat_route(config)]
    routes += [_cluster_route(cluster) for cluster in routed_clusters(config)]
    routes += _severity_routes(None)
    return {
        "route": {
            "receiver": receiver_name(DEFAULT),
            "group_by": list(GROUP_BY),
            **_timings(config.routing.timings),
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": [matcher("severity", "critical")],
                "target_matchers": [matcher("severity", "warning")],
                "equal": list(INHIBIT_EQUAL),
            }
        ],
        "receivers": [_receiver(name, config.routing) for name in receiver_rooms(config)],
    }


def _heartbeat_route(config: Config) -> dict[str, Any]:
    """The heartbeat (labels ``alertname="Heartbeat"``, ``severity="none"``: no problem has them) to its receiver."""
    return {
        "matchers": [matcher("alertname", "Heartbeat"), matcher("severity", "none")],
        "receiver": HEARTBEAT_RECEIVER,
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": alertmanager_duration(config.heartbeat.group_interval),
        "repeat_interval": alertmanager_duration(config.heartbeat.repeat_interval),
        "continue": False,
    }


def matcher(label: str, value: str) -> str:
    """An Alertmanager equality matcher, ``label="value"``, with the value escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{label}="{escaped}"'


def alertmanager_duration(seconds: float) -> str:
    """Seconds as Alertmanager writes durations: ``300`` -> ``'5m'``, ``5400`` -> ``'1h30m'``."""
    rest = round(seconds * 1000)
    if rest <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _timings(timings: RouteTimings) -> dict[str, str]:
    """Only the timings that are set; an unset one is inherited from the parent route."""
    values = {key: getattr(timings, key) for key in _TIMINGS}
    return {key: alertmanager_duration(value) for key, value in values.items() if value is not None}


def _severity_routes(cluster: ClusterConfig | None) -> list[dict[str, Any]]:
    return [{"matchers": [matcher("severity", level)], "receiver": level_receiver(cluster, level)} for level in LEVELS]


def _cluster_route(cluster: ClusterConfig) -> dict[str, Any]:
    return {
        "matchers": [matcher("cluster", cluster.name)],
        "receiver": level_receiver(cluster, DEFAULT),
        **_timings(cluster.routing),
        "continue": False,
        "routes": _severity_routes(cluster),
    }


def _receiver(name: str, routing: RoutingConfig) -> dict[str, Any]:
    """A webhook to the khp receiver; the credentials stay in a file Alertmanager reads at send time."""
    # the heartbeat's end says nothing the receiver does not already know from its silence
    webhook: dict[str, Any] = {"url": routing.receiver_url, "send_resolved": name != HEARTBEAT_RECEIVER}
    if routing.credentials_file:
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": routing.credentials_file}}
    return {"name": name, "webhook_configs": [webhook]}
