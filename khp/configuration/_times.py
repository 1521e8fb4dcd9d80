"""Points in time as they come in: ISO-8601 strings, epoch seconds, or ``now-1h``."""

from __future__ import annotations

import datetime as dt

from ._durations import parse_duration


def parse_time(value: str | int | float, now: float | None = None) -> float:
    """Return epoch seconds for ``value``.

    Accepts epoch seconds, ISO-8601 (``2026-11-29T10:00:00Z``; no zone means UTC), ``now``,
    and ``now-<duration>`` / ``-<duration>`` relative to ``now``.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        return float(value)
    raw = str(value).strip()
    reference = dt.datetime.now(dt.UTC).timestamp() if now is None else now
    if raw == "now":
        return reference
    try:
        return float(raw)
    except ValueError:
        pass
    if raw.startswith(("now-", "-")):
        return reference - parse_duration(raw[4:] if raw.startswith("now-") else raw[1:])
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time; write ISO-8601 ('2026-11-29T10:00:00Z'), epoch seconds, 'now' or 'now-2h'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def format_time(epoch: float) -> str:
    """ISO-8601 in UTC with a ``Z``, to the second."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
