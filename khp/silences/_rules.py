"""The rules a silence must follow, checked against the clock and the configured bounds.

Pure: callers pass ``now``, the bound and what is known. Every silence ends: an end time (or
a duration) is mandatory, must lie in the future and no further away than the bound.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from khp.configuration import format_duration, format_time, parse_duration, parse_time

from ._errors import InvalidSilence
from ._model import MUTE_LEVELS, Maintenance, Mute

When = str | float | int | None


def end_time(now: float, until: When, duration: When, *, limit: float, limit_key: str, what: str) -> float:
    """The end of a silence given as a time (``until``) or a length from now (``duration``).

    ``limit`` is the longest window allowed from ``now``, set by the configuration key
    ``limit_key``; ``what`` names the silence in messages ("maintenance of alpha").
    """
    end = _parse_end(now, now, until, duration, limit=limit, limit_key=limit_key, what=what)
    check_end(now, end, limit=limit, limit_key=limit_key, what=what)
    return end


def extended_end(
    now: float, current_end: float, until: When, duration: When, *, limit: float, limit_key: str, what: str
) -> float:
    """The new end of a silence being extended: ``until``, or ``duration`` past its ``current_end``.

    The bound still counts from ``now``: extending never makes a window longer than a new one.
    """
    end = _parse_end(now, current_end, until, duration, limit=limit, limit_key=limit_key, what=what)
    check_end(now, end, limit=limit, limit_key=limit_key, what=what)
    return end


def _parse_end(
    now: float, reference: float, until: When, duration: When, *, limit: float, limit_key: str, what: str
) -> float:
    """``until`` as a time, or ``reference`` plus ``duration``."""
    allowed = f"at most {format_duration(limit)} from now ({limit_key})"
    if until is None and duration is None:
        raise InvalidSilence(
            f"{what} needs an end: give an end time (--until) or a duration (--for), {allowed};"
            " silences never stay on open-ended",
            "end_missing",
            limit=limit,
        )
    if until is not None and duration is not None:
        raise InvalidSilence(f"{what}: give an end time (--until) or a duration (--for), not both")
    if duration is not None:
        try:
            seconds = parse_duration(duration)
        except ValueError as exc:
            raise InvalidSilence(f"{what}: duration {exc}", "end_invalid") from None
        if seconds <= 0:
            raise InvalidSilence(f"{what}: the duration must be more than 0, {allowed}", "end_invalid")
        return reference + seconds
    assert until is not None
    try:
        return parse_time(until, now=now)
    except ValueError as exc:
        raise InvalidSilence(f"{what}: end time {exc}", "end_invalid") from None


def check_end(now: float, end: float, *, limit: float, limit_key: str, what: str) -> None:
    """Fail unless ``end`` is after ``now`` and within ``limit`` of it."""
    if end <= now:
        raise InvalidSilence(
            f"{what}: the end {format_time(end)} is not in the future (now is {format_time(now)}); give a later end",
            "end_past",
        )
    if end - now > limit:
        raise InvalidSilence(
            f"{what} would last {format_duration(end - now)}, longer than the {format_duration(limit)} allowed by"
            f" {limit_key}; choose an earlier end, or raise {limit_key} in the configuration",
            "too_long",
            limit=limit,
        )


def check_cluster(cluster: str, known: Collection[str], *, clusters_dir: str = "the clusters directory") -> str:
    """``cluster`` stripped, if known; else an error listing the known clusters."""
    name = (cluster or "").strip()
    if not name:
        raise InvalidSilence(f"name a cluster; known clusters: {_listing(known)}", "cluster_missing")
    if name not in known:
        raise InvalidSilence(
            f"unknown cluster {name!r}{_suggest(name, known)}: it has no cluster file in {clusters_dir} and no alert"
            f" in Alertmanager; known clusters: {_listing(known)}",
            "cluster_unknown",
            name=name,
            suggestion=_close(name, known),
        )
    return name


def check_name(check: str, known: Collection[str]) -> str:
    """``check`` if some monitor emits it (or it is one of the evaluator's own); else an error."""
    name = (check or "").strip()
    if not name:
        raise InvalidSilence(f"name a check; known checks: {_listing(known)}", "check_missing")
    if name not in known:
        raise InvalidSilence(
            f"unknown check {name!r}{_suggest(name, known)}: no monitor emits it; known checks (names are"
            f" case-sensitive): {_listing(known)}",
            "check_unknown",
            name=name,
            suggestion=_close(name, known),
        )
    return name


def check_level(level: str) -> str:
    if level not in MUTE_LEVELS:
        raise InvalidSilence(
            f"unknown mute level {level!r}; use 'cri' (send critical only) or 'off' (send nothing)",
            "level_unknown",
            level=level,
        )
    return level


def check_creator(created_by: str) -> str:
    name = (created_by or "").strip()
    if not name:
        raise InvalidSilence(
            "say who sets the silence (created_by, --by NAME): Alertmanager records it", "creator_missing"
        )
    return name


def maintenance_request(
    cluster: str,
    *,
    until: When,
    duration: When,
    reason: str,
    created_by: str,
    now: float,
    limit: float,
    limit_key: str,
    known_clusters: Collection[str],
    clusters_dir: str = "the clusters directory",
) -> Maintenance:
    """A validated maintenance window of ``cluster``, starting ``now``."""
    name = check_cluster(cluster, known_clusters, clusters_dir=clusters_dir)
    what = f"maintenance of {name}"
    why = (reason or "").strip()
    if not why:
        raise InvalidSilence(
            f"{what} needs a reason (--reason TEXT), so others know why {name} is silent", "reason_missing"
        )
    end = end_time(now, until, duration, limit=limit, limit_key=limit_key, what=what)
    return Maintenance(cluster=name, starts_at=now, ends_at=end, reason=why, created_by=check_creator(created_by))


def mute_request(
    check: str,
    cluster: str,
    level: str,
    *,
    until: When,
    duration: When,
    reason: str,
    created_by: str,
    now: float,
    limit: float,
    limit_key: str,
    known_clusters: Collection[str],
    known_checks: Collection[str],
    clusters_dir: str = "the clusters directory",
) -> Mute:
    """A validated mute (``cri`` or ``off``) of one check on one cluster, starting ``now``."""
    level = check_level(level)
    name = check_name(check, known_checks)
    where = check_cluster(cluster, known_clusters, clusters_dir=clusters_dir)
    what = f"muting '{name}' on {where}"
    end = end_time(now, until, duration, limit=limit, limit_key=limit_key, what=what)
    return Mute(
        check=name,
        cluster=where,
        level=level,
        starts_at=now,
        ends_at=end,
        reason=(reason or "").strip(),
        created_by=check_creator(created_by),
    )


def _listing(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _suggest(name: str, known: Collection[str]) -> str:
    close = _close(name, known)
    return f" (did you mean {close!r}?)" if close else ""


def _close(name: str, known: Collection[str]) -> str:
    """The known name closest to ``name`` ("" when none is close)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    if not close:
        close = [k for k in known if k.lower() == name.lower()][:1]
    return close[0] if close else ""
