"""Routing: the khp config rendered as Alertmanager's ``alertmanager.yml`` (``khp alertmanager-config``).

Severity rooms, per-cluster routes and timings, inhibition of warning by critical, and webhook
receivers named so the khp receiver can find their rooms::

    from khp.routing import render_alertmanager_yaml, rooms_for_receiver

    text = render_alertmanager_yaml(config)                 # what configs/alertmanager.yml holds
    rooms_for_receiver(config, "khp-alpha-critical")        # ('kakaowork:67890', 'kakaotalk:ops')

Pure but for ``deploy`` (``_deploy``): it checks a rendering with ``amtool check-config``, writes
it atomically and reloads every Alertmanager (``POST /-/reload``), for the command
(``khp/_routing.py``) and the console's room edits.
"""

from __future__ import annotations

from khp.configuration import Config

from ._deploy import Checked, Deployed, RoutingRejected, check_config, deploy, reload_all, write_checked
from ._names import (
    DEFAULT,
    HEARTBEAT_RECEIVER,
    PREFIX,
    RECEIVER_LEVELS,
    ReceiverName,
    UnknownReceiver,
    parse_receiver_name,
    receiver_name,
)
from ._render import GROUP_BY, INHIBIT_EQUAL, alertmanager_duration, matcher, render_alertmanager_config
from ._rooms import alert_rooms, critical_rooms, receiver_rooms, rooms_for_receiver, routed_clusters
from ._yaml import HEADER, to_yaml


def render_alertmanager_yaml(config: Config) -> str:
    """The text of ``alertmanager.yml`` for ``config``: header, routes, inhibition, noted receivers."""
    return to_yaml(render_alertmanager_config(config), receiver_rooms(config))


__all__ = [
    "DEFAULT",
    "GROUP_BY",
    "HEADER",
    "HEARTBEAT_RECEIVER",
    "INHIBIT_EQUAL",
    "PREFIX",
    "RECEIVER_LEVELS",
    "Checked",
    "Deployed",
    "ReceiverName",
    "RoutingRejected",
    "UnknownReceiver",
    "alert_rooms",
    "alertmanager_duration",
    "check_config",
    "critical_rooms",
    "deploy",
    "matcher",
    "parse_receiver_name",
    "receiver_name",
    "receiver_rooms",
    "reload_all",
    "render_alertmanager_config",
    "render_alertmanager_yaml",
    "rooms_for_receiver",
    "routed_clusters",
    "to_yaml",
    "write_checked",
]
