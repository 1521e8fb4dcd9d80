"""A message in a form its channel accepts: checked before it is sent (and notices before they are stored); pure.

    payload, problems = fit(channel, channel.render(content))   # problems of the first form, [] if none

A channel that has ``problems(payload)`` and ``simpler(payload, problems)`` (every bundled one)
gets its payload stepped down, as often as needed, to the first form that breaks none of its
rules: without the offending elements, then plain text. One without them is sent as rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._channel import Channel

MAX_STEPS = 5


def problems(channel: Channel, payload: Mapping[str, Any]) -> list[str]:
    """What ``channel`` says its service would refuse in ``payload``; ``[]`` if nothing (or it cannot say)."""
    check = getattr(channel, "problems", None)
    return list(check(payload)) if callable(check) else []


def simpler(channel: Channel, payload: Mapping[str, Any], found: Sequence[str]) -> Mapping[str, Any] | None:
    """The channel's next simpler form of ``payload``, or ``None`` when there is none."""
    step = getattr(channel, "simpler", None)
    form = step(payload, list(found)) if callable(step) else None
    return None if form is None or form == payload else form


def fit(channel: Channel, payload: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
    """The first form of ``payload`` that breaks none of the channel's rules, and the problems of the first form.

    When no form is free of problems, the simplest one is returned: the service has the last word.
    """
    first = problems(channel, payload)
    current, found = payload, first
    for _ in range(MAX_STEPS):
        if not found:
            break
        form = simpler(channel, current, found)
        if form is None:
            break
        current, found = form, problems(channel, form)
    return current, first
