"""khp's silences as Alertmanager sees them: kinds, matchers, request bodies, decoding.

Pure: no I/O and no clock. The matchers are the contract of DESIGN §5::

    maintenance  [cluster="<c>"]
    cri          [alertname="<check>", cluster="<c>", severity="warning"]
    off          [alertname="<check>", cluster="<c>"]

The comment starts with a marker, ``[khp maintenance]``, ``[khp cri]`` or ``[khp off]``, then
the reason; it tells which silences khp made (and may replace) from ones made elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from khp.configuration import format_time

MAINTENANCE = "maintenance"
CRI = "cri"
OFF = "off"
KINDS = (MAINTENANCE, CRI, OFF)
MUTE_LEVELS = (CRI, OFF)
LIVE_STATES = ("active", "pending")

_MARKER = re.compile(r"^\[khp (maintenance|cri|off)\]\s?(.*)$", re.DOTALL)


def matchers_for(kind: str, cluster: str, check: str | None = None) -> list[dict[str, Any]]:
    """The Alertmanager matchers of a silence of ``kind`` (exact, non-regex)."""
    if kind == MAINTENANCE:
        return [_equal("cluster", cluster)]
    if check is None:
        raise ValueError(f"a {kind} silence needs a check name")
    if kind == CRI:
        return [_equal("alertname", check), _equal("cluster", cluster), _equal("severity", "warning")]
    if kind == OFF:
        return [_equal("alertname", check), _equal("cluster", cluster)]
    raise ValueError(f"unknown silence kind {kind!r}; one of {', '.join(KINDS)}")


def _equal(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value, "isRegex": False, "isEqual": True}


def comment_for(kind: str, reason: str) -> str:
    return f"[khp {kind}] {reason}".strip()


def wire_time(epoch: float) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager writes it."""
    millis = round(epoch * 1000)
    seconds = dt.datetime.fromtimestamp(millis // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{seconds}.{millis % 1000:03d}Z"


def parse_wire_time(text: str) -> float:
    """Epoch seconds of an Alertmanager timestamp (``2026-11-29T16:00:57.056Z``, up to nanoseconds)."""
    match = re.match(r"^(.*?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an RFC 3339 time")
    base, fraction, zone = match.groups()
    parsed = dt.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return parsed.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def silence_body(
    kind: str,
    cluster: str,
    check: str | None,
    starts_at: float,
    ends_at: float,
    created_by: str,
    reason: str,
    silence_id: str | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v2/silences``; with ``silence_id`` it updates that silence."""
    body: dict[str, Any] = {
        "matchers": matchers_for(kind, cluster, check),
        "startsAt": wire_time(starts_at),
        "endsAt": wire_time(ends_at),
        "createdBy": created_by,
        "comment": comment_for(kind, reason),
    }
    if silence_id:
        body["id"] = silence_id
    return body


@dataclass(frozen=True)
class Maintenance:
    """A validated request to put ``cluster`` in maintenance until ``ends_at``."""

    cluster: str
    starts_at: float
    ends_at: float
    reason: str
    created_by: str

    kind: ClassVar[str] = MAINTENANCE
    check: ClassVar[None] = None

    def body(self, silence_id: str | None = None) -> dict[str, Any]:
        return silence_body(
            self.kind, self.cluster, None, self.starts_at, self.ends_at, self.created_by, self.reason, silence_id
        )


@dataclass(frozen=True)
class Mute:
    """A validated request to send only critical (``cri``) or nothing (``off``) of one check."""

    check: str
    cluster: str
    level: str
    starts_at: float
    ends_at: float
    reason: str
    created_by: str

    @property
    def kind(self) -> str:
        return self.level

    def body(self, silence_id: str | None = None) -> dict[str, Any]:
        return silence_body(
            self.kind, self.cluster, self.check, self.starts_at, self.ends_at, self.created_by, self.reason, silence_id
        )


@dataclass(frozen=True)
class Silence:
    """A maintenance window or a mute, decoded from an Alertmanager silence.

    ``managed`` is true when khp made it (its comment carries the marker); a silence with the
    same matchers made in Alertmanager's UI has the same effect and is listed too.
    """

    id: str
    kind: str
    cluster: str
    check: str | None
    starts_at: float
    ends_at: float
    created_by: str
    reason: str
    state: str
    managed: bool

    @property
    def live(self) -> bool:
        """Active now, or starting later."""
        return self.state in LIVE_STATES

    def describe(self) -> str:
        """One line for people: what is silenced, until when, by whom and why."""
        if self.kind == MAINTENANCE:
            what = f"{self.cluster} in maintenance"
        elif self.kind == CRI:
            what = f"'{self.check}' on {self.cluster}: critical only"
        else:
            what = f"'{self.check}' on {self.cluster}: off"
        when = "ended" if self.state == "expired" else "until"
        why = f": {self.reason}" if self.reason else ""
        return f"{what} {when} {format_time(self.ends_at)} (by {self.created_by}{why}; silence {self.id})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times in ISO-8601 UTC."""
        return {
            "id": self.id,
            "kind": self.kind,
            "cluster": self.cluster,
            "check": self.check,
            "starts_at": format_time(self.starts_at),
            "ends_at": format_time(self.ends_at),
            "created_by": self.created_by,
            "reason": self.reason,
            "state": self.state,
            "managed": self.managed,
        }


def decode(raw: Mapping[str, Any]) -> Silence | None:
    """The ``Silence`` an Alertmanager silence is, or None when its matchers are no khp kind."""
    labels: dict[str, str] = {}
    for matcher in raw.get("matchers") or ():
        name = matcher.get("name")
        if matcher.get("isRegex") or not matcher.get("isEqual", True) or not name or name in labels:
            return None
        labels[str(name)] = str(matcher.get("value", ""))
    names = set(labels)
    check: str | None = None
    if names == {"cluster"}:
        kind = MAINTENANCE
    elif names == {"alertname", "cluster", "severity"} and labels["severity"] == "warning":
        kind, check = CRI, labels["alertname"]
    elif names == {"alertname", "cluster"}:
        kind, check = OFF, labels["alertname"]
    else:
        return None
    comment = str(raw.get("comment") or "")
    marker = _MARKER.match(comment)
    try:
        starts_at = parse_wire_time(str(raw.get("startsAt", "")))
        ends_at = parse_wire_time(str(raw.get("endsAt", "")))
    except ValueError:
        return None
    return Silence(
        id=str(raw.get("id", "")),
        kind=kind,
        cluster=labels["cluster"],
        check=check,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=str(raw.get("createdBy") or ""),
        reason=marker.group(2).strip() if marker else comment,
        state=str((raw.get("status") or {}).get("state", "")),
        managed=marker is not None,
    )
