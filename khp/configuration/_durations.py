"""Durations as people write them: ``10m``, ``1h30m``, ``PT10M``, ``P1D``, or seconds."""

from __future__ import annotations

import math
import re

LONGEST = 100 * 365.25 * 86400  # no duration khp reads (window, retention, pending, --for) comes near a century
_SHORT = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str | int | float) -> float:
    """Return the number of seconds in ``text``.

    >>> parse_duration("PT10M"), parse_duration("1h30m"), parse_duration(90)
    (600.0, 5400.0, 90.0)

    Raises ``ValueError`` with the accepted forms when ``text`` is none of them.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ValueError(f"{text!r} is not a duration (not a finite number)")
        if text < 0:
            raise ValueError(f"{text!r} is negative; a duration is 0 or more seconds")
        return _bounded(float(text), text)
    raw = str(text).strip()
    iso = _ISO.match(raw.upper())
    if raw and raw.upper().startswith("P") and iso and any(iso.groups()):
        weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return _bounded(weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds, text)
    short = _SHORT.match(raw.lower())
    if raw and short and any(short.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in short.groups())
        return _bounded(days * 86400 + hours * 3600 + minutes * 60 + seconds, text)
    raise ValueError(
        f"{text!r} is not a duration; write it like '30s', '10m', '1h30m', '2d' or ISO-8601 'PT10M', 'P1D'"
    )


def _bounded(seconds: float, text: object) -> float:
    if seconds > LONGEST:
        raise ValueError(f"{text!r} is longer than 100 years; no duration khp uses is that long")
    return seconds


def format_duration(seconds: float) -> str:
    """The short form of ``seconds``: ``600`` -> ``'10m'``, ``5400`` -> ``'1h30m'``."""
    rest = round(seconds)
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
