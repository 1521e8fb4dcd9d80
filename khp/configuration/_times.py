"""Points in time as they come in: ISO-8601 strings, epoch seconds, or ``now-1h``.

Only times between 1970 and 2200 are accepted: anything else is a mistake (most often epoch
milliseconds, which would be read as the year 58,000) that would otherwise be stored, or
overflow later where it is printed.
"""

from __future__ import annotations

import datetime as dt
import math

from ._durations import parse_duration

EARLIEST = 0.0  # 1970-01-01T00:00:00Z
LATEST = 7258118400.0  # 2200-01-01T00:00:00Z
_FORMS = "write ISO-8601 ('2026-11-29T10:00:00Z'), epoch seconds, 'now' or 'now-2h'"


def parse_time(value: str | int | float, now: float | None = None) -> float:
    """Return epoch seconds for ``value``.

    Accepts epoch seconds, ISO-8601 (``2026-11-29T10:00:00Z``; no zone means UTC), ``now``,
    and ``now-<duration>`` / ``-<duration>`` relative to ``now``. Raises ``ValueError`` naming
    the accepted forms, and for a time outside 1970-2200 (epoch milliseconds, infinity, NaN).
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        try:
            return _plausible(float(value), value)
        except OverflowError:  # an int too large for a float
            raise ValueError(f"{value!r} is outside the times khp accepts, 1970 to 2200") from None
    raw = str(value).strip()
    reference = dt.datetime.now(dt.UTC).timestamp() if now is None else now
    if raw == "now":
        return reference
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        return _plausible(number, value)
    if raw.startswith(("now-", "-")):
        try:
            back = parse_duration(raw[4:] if raw.startswith("now-") else raw[1:])
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a time: {exc}") from None
        return _plausible(reference - back, value)
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a time; {_FORMS}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        epoch = parsed.timestamp()
    except (OverflowError, ValueError):  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError(f"{value!r} is outside the times khp accepts, 1970 to 2200") from None
    return _plausible(epoch, value)


def _plausible(epoch: float, value: object) -> float:
    if not math.isfinite(epoch):
        raise ValueError(f"{value!r} is not a time (not a finite number); {_FORMS}")
    if EARLIEST <= epoch < LATEST:
        return epoch
    if EARLIEST <= epoch / 1000 < LATEST:
        hint = f"it looks like epoch milliseconds ({format_time(epoch / 1000)}); divide by 1000"
    elif epoch / 1000 >= LATEST:
        hint = "it is not epoch seconds (micro- or nanoseconds?)"
    else:
        hint = "it is before 1970"
    raise ValueError(f"{value!r} is outside the times khp accepts, 1970 to 2200: {hint}")


def format_time(epoch: float) -> str:
    """ISO-8601 in UTC with a ``Z``, to the second (a number no date can hold is shown as it is)."""
    try:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{epoch!r} (not a date)"
