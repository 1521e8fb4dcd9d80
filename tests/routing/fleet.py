"""A khp config built in code for the routing tests: clusters with and without own rooms and timings."""

from __future__ import annotations

from khp.configuration import ClusterConfig, Config, RouteTimings, RoutingConfig

DEFAULT_ROOMS = {"warning": ("kakaowork:100",), "critical": ("kakaowork:200", "kakaotalk:oncall")}
OWN_ROOMS = {"warning": ("kakaowork:1",), "critical": ("kakaotalk:own",)}
HALF_ROOMS = {"critical": ("kakaowork:2",)}
DEFAULT_TIMINGS = RouteTimings(group_wait=30.0, group_interval=300.0, repeat_interval=14400.0)
OWN_TIMINGS = RouteTimings(group_wait=10.0, repeat_interval=3600.0)


def fleet_config(
    receiver_url: str = "http://127.0.0.1:8080/alertmanager",
    credentials_file: str = "/etc/khp/receiver-token",
    timings: RouteTimings = DEFAULT_TIMINGS,
    own_timings: RouteTimings = OWN_TIMINGS,
    reverse: bool = False,
) -> Config:
    """Four clusters: ``own`` (rooms and timings), ``timed`` (timings only), ``half-x`` (critical rooms
    only; its name has a ``-``) and ``plain`` (neither). ``reverse`` lists them in the other order."""
    clusters = [
        ClusterConfig(name="half-x", channels=HALF_ROOMS),
        ClusterConfig(name="own", channels=OWN_ROOMS, routing=own_timings),
        ClusterConfig(name="plain", thresholds={"disk": {"warning": 1.0}}, pending=60.0),
        ClusterConfig(name="timed", routing=RouteTimings(group_interval=60.0)),
    ]
    if reverse:
        clusters.reverse()
    return Config(
        routing=RoutingConfig(
            receiver_url=receiver_url, credentials_file=credentials_file, channels=DEFAULT_ROOMS, timings=timings
        ),
        clusters={cluster.name: cluster for cluster in clusters},
    )
