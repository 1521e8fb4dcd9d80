"""Durations as people type them in chat: ``30m``, ``2h``, ``1d``, ``1h30m``, ``2시간``, ``30분``, ``1일``."""

from __future__ import annotations

import re

UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "초": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "분": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "시간": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "일": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "주": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z가-힣]+)")
_ISO = re.compile(r"^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$")


def parse_chat_duration(text: str) -> float | None:
    """Seconds in ``text``, or None when it is no duration (a bare number has no unit: None).

    >>> parse_chat_duration("1h30m"), parse_chat_duration("2시간"), parse_chat_duration("1일")
    (5400.0, 7200.0, 86400.0)
    """
    raw = text.strip().lower()
    if not raw:
        return None
    if _ISO.match(raw.upper()) and len(raw) > 2:
        return _iso(raw.upper())
    total = 0.0
    position = 0
    for part in _PART.finditer(raw):
        if raw[position : part.start()].strip():
            return None
        unit = UNITS.get(part.group(2))
        if unit is None:
            return None
        total += float(part.group(1)) * unit
        position = part.end()
    if position == 0 or raw[position:].strip():
        return None
    return total


def is_unit(text: str) -> bool:
    """Whether ``text`` is a unit alone (``시간``, ``hours``): ``2 시간`` is typed as two words."""
    return text.strip().lower() in UNITS


def _iso(text: str) -> float:
    total = 0.0
    for number, unit in re.findall(r"(\d+)([DHMS])", text):
        total += int(number) * {"D": 86400, "H": 3600, "M": 60, "S": 1}[unit]
    return total
