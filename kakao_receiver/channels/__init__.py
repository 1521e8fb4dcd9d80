"""Chat channel plugins, found by name in the entry point group ``khp.channels``.

    channel = load_channel("kakaowork", {"app_key_env": "KHP_KAKAOWORK_APP_KEY"}, os.environ)
    payload = channel.render(content)        # pure: stored in the outbox
    channel.send("12345", payload)           # raises DeliveryError(retry_after, permanent)

Bundled: ``kakaowork``, ``kakaotalk``, ``slack``, ``webhook``, ``console``. A plugin is a class
taking ``(options, environ)`` with a ``name``, ``render(content)`` and ``send(target, payload)``
(``kakao_receiver.Channel``), registered by its package::

    [options.entry_points]
    khp.channels =
        teams = khp_teams:TeamsChannel

Errors::

    ChannelConfigError       a channel's options are wrong (at start, naming the option)
     └── UnknownChannel      no plugin of that name; the message lists the names there are
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from .._channel import Channel
from ._errors import ChannelConfigError, UnknownChannel

GROUP = "khp.channels"

__all__ = ["GROUP", "ChannelConfigError", "UnknownChannel", "channel_names", "load_channel"]


def channel_names() -> list[str]:
    """The names of the installed channel plugins, sorted."""
    return sorted(_entry_points())


def load_channel(name: str, options: Mapping[str, Any] | None, environ: Mapping[str, str], **extra: Any) -> Channel:
    """The channel plugin ``name`` set up with ``options``; secrets are read from ``environ``.

    ``extra`` keyword arguments (``session=`` for the HTTP ones) go to the plugin as they are.
    Raises ``UnknownChannel`` listing the valid names, or ``ChannelConfigError`` from the plugin.
    """
    found = _entry_points()
    if name not in found:
        known = ", ".join(sorted(found)) or "none (is khp-monitor installed? `pip install -e .`)"
        raise UnknownChannel(
            f"unknown channel {name!r}; the channels are: {known}. "
            f"A plugin adds one under the entry point group {GROUP!r}"
        )
    factory = found[name].load()
    channel: Channel = factory(options or {}, environ, **extra)
    return channel


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}
