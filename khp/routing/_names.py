"""Receiver names: the contract between ``alertmanager.yml`` and the khp receiver.

Alertmanager puts the receiver's name in every webhook payload (``"receiver": ...``); the khp
receiver reads the rooms for that name from the khp config. Names are::

    khp-default              root route: alerts with neither severity, default rooms of both levels
    khp-warning              default warning rooms (routing.channels.warning in khp.yml)
    khp-critical             default critical rooms (routing.channels.critical)
    khp-<cluster>-<level>    a cluster's own rooms for that level (its file's channels:)
    khp-<cluster>-default    a cluster's rooms of both levels, for alerts with neither severity
    khp-heartbeat            the evaluator's heartbeat alert: no room; the receiver only notes it

The level is always the last ``-`` part, so cluster names may contain ``-``.
"""

from __future__ import annotations

from dataclasses import dataclass

from khp.configuration import LEVELS

PREFIX = "khp-"
DEFAULT = "default"
RECEIVER_LEVELS = (DEFAULT, *LEVELS)
HEARTBEAT = "heartbeat"
HEARTBEAT_RECEIVER = f"{PREFIX}{HEARTBEAT}"


class UnknownReceiver(ValueError):
    """A receiver name that does not follow ``khp-[<cluster>-]<level>``."""


@dataclass(frozen=True)
class ReceiverName:
    """A parsed receiver name: the cluster (``None`` for the defaults) and the level."""

    level: str
    cluster: str | None = None

    def __str__(self) -> str:
        return HEARTBEAT_RECEIVER if self.heartbeat else receiver_name(self.level, self.cluster)

    @property
    def heartbeat(self) -> bool:
        """The receiver of the evaluator's heartbeat, which stands for no room."""
        return self.level == HEARTBEAT


def receiver_name(level: str, cluster: str | None = None) -> str:
    """``khp-<level>`` or ``khp-<cluster>-<level>``; ``level`` is warning, critical or default."""
    if level not in RECEIVER_LEVELS:
        raise ValueError(f"receiver level {level!r}: expected one of {', '.join(RECEIVER_LEVELS)}")
    if cluster == "":
        raise ValueError("receiver cluster: an empty name; pass None for the default receivers")
    return f"{PREFIX}{level}" if cluster is None else f"{PREFIX}{cluster}-{level}"


def parse_receiver_name(name: str) -> ReceiverName:
    """The cluster and level a receiver name stands for; ``UnknownReceiver`` if it is not one of ours."""
    if name == HEARTBEAT_RECEIVER:
        return ReceiverName(level=HEARTBEAT)
    rest = name[len(PREFIX) :] if name.startswith(PREFIX) else ""
    cluster, _, level = rest.rpartition("-")
    if level not in RECEIVER_LEVELS:
        raise UnknownReceiver(
            f"receiver {name!r} is not khp-<level> or khp-<cluster>-<level> with level one of "
            f"{', '.join(RECEIVER_LEVELS)}; re-render alertmanager.yml with `khp alertmanager-config`"
        )
    return ReceiverName(level=level, cluster=cluster or None)
