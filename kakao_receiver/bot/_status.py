"""The answer to ``상태 <cluster>``: its maintenance and mutes, and its alerts by severity; pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from khp.silences import CRI, MAINTENANCE, Silence

from .._i18n import ZONES, human_clock
from ._phrases import say

SEVERITIES = ("critical", "warning")
MAX_CHECKS = 5


def status_text(cluster: str, silences: Iterable[Silence], alerts: Iterable[Mapping[str, Any]], language: str) -> str:
    """Lines for people: the title, one per silence (or none), then the alerts per severity."""
    lines = [say(language, "status.title", cluster=cluster)]
    found = list(silences)
    lines += [_silence_line(s, language) for s in found] or [say(language, "status.quiet")]
    held = list(alerts)
    if not held:
        lines.append(say(language, "status.no_alerts"))
        return "\n".join(lines)
    lines.append(say(language, "status.alerts"))
    by_severity: dict[str, list[str]] = {}
    for alert in held:
        labels = alert.get("labels") or {}
        severity = labels.get("severity", "")
        key = severity if severity in SEVERITIES else "other"
        by_severity.setdefault(key, []).append(str(labels.get("alertname", "?")))
    for severity in (*SEVERITIES, "other"):
        checks = by_severity.get(severity)
        if checks:
            name = say(language, f"severity.{severity}")
            lines.append(say(language, "status.severity", severity=name, count=len(checks), checks=_counted(checks)))
    suppressed = sum((alert.get("status") or {}).get("state") == "suppressed" for alert in held)
    if suppressed:
        lines.append(say(language, "status.suppressed", count=suppressed))
    return "\n".join(lines)


def _silence_line(silence: Silence, language: str) -> str:
    until = human_clock(silence.ends_at, language, ZONES[language])
    if silence.kind == MAINTENANCE:
        line = say(language, "status.maintenance", until=until, by=silence.created_by, reason=silence.reason)
    else:
        key = "status.cri" if silence.kind == CRI else "status.off"
        line = say(language, key, check=silence.check, until=until, by=silence.created_by)
    return line + (say(language, "status.pending") if silence.state == "pending" else "")


def _counted(checks: list[str]) -> str:
    """``'Too many tablets 2, Failed tablets'``: most frequent first, the first few."""
    counted = sorted(Counter(checks).items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{check} {n}" if n > 1 else check for check, n in counted[:MAX_CHECKS]]
    return ", ".join(shown) + (", …" if len(counted) > MAX_CHECKS else "")
