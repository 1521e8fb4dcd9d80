"""A problem as an Alertmanager API v2 alert: labels, annotations, startsAt/endsAt, generatorURL.

::

    >>> alert(state, wall=1795946460.0, valid_for=240.0)
    {'labels': {'alertname': 'Task slot usage', 'monitor': 'DruidMonitor', 'cluster': 'alpha',
                'service': 'druid', 'severity': 'warning'},
     'annotations': {'description': '...', 'value': '46.9', 'threshold': '45', 'compare': '>',
                     'source': 'https://git.example/khp/blob/main/evaluator/monitors/druid.py#L12'},
     'startsAt': '2026-11-29T10:00:00.000Z', 'endsAt': '2026-11-29T10:05:00.000Z',
     'generatorURL': 'https://git.example/khp/blob/main/evaluator/monitors/druid.py#L12'}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evaluator import HEARTBEAT, Problem

from ._machine import FIRING, NODATA, RESOLVED, AlertState

HEARTBEAT_LABELS = {"alertname": HEARTBEAT, "monitor": "khp", "severity": "none"}
"""The heartbeat's labels: no cluster and no problem severity, so no problem route or silence takes it."""

RESOLVED_BY_EVALUATOR = "evaluator"
RESOLVED_FOR_NO_DATA = "no data"


def labels_of(problem: Problem) -> dict[str, str]:
    """What identifies the alert in Alertmanager; ``cluster``/``host``/``service`` only when known."""
    found = {"alertname": problem.check, "monitor": problem.monitor}
    if problem.cluster is not None:
        found["cluster"] = problem.cluster
    if problem.host is not None:
        found["host"] = problem.host
    if problem.service:
        found["service"] = problem.service  # an empty label value means "no label" to Alertmanager
    found["severity"] = problem.severity
    return found


def annotations_of(problem: Problem) -> dict[str, str]:
    """What the notification shows; values are strings, numbers without float noise."""
    found = {"description": problem.description}
    if problem.value is not None:
        found["value"] = number(problem.value)
    if problem.threshold is not None:
        found["threshold"] = number(problem.threshold)
    if problem.compare is not None:
        found["compare"] = problem.compare
    if problem.source:
        found["source"] = problem.source
    if problem.action:
        found["action"] = problem.action
    return found


def alert(state: AlertState, wall: float, valid_for: float) -> dict[str, Any]:
    """The alert to POST for ``state`` at wall-clock time ``wall``.

    Firing: ``endsAt`` = ``wall + valid_for``, so Alertmanager ends it by itself if the bridge
    stops. Resolved: ``endsAt`` = when it resolved.
    """
    problem = state.problem
    starts = wall if state.starts_at is None else state.starts_at
    ends = wall + valid_for
    if state.phase == RESOLVED and state.ends_at is not None:
        ends = state.ends_at
    notes = annotations_of(problem)
    if state.nodata_since is not None and state.phase in (FIRING, RESOLVED):
        notes["nodata_since"] = timestamp(state.nodata_since)
    if state.phase == RESOLVED:
        # Alertmanager ends an alert on its own when its endsAt passes; this says the evaluator ended it
        notes["resolved_by"] = RESOLVED_FOR_NO_DATA if state.resolved_by == NODATA else RESOLVED_BY_EVALUATOR
    body: dict[str, Any] = {
        "labels": labels_of(problem),
        "annotations": notes,
        "startsAt": timestamp(starts),
        "endsAt": timestamp(ends),
    }
    if is_url(problem.source):
        body["generatorURL"] = problem.source
    return body


def heartbeat(stamp: float, valid_for: float) -> dict[str, Any]:
    """The heartbeat alert sent at ``stamp``: always firing while the evaluator runs (the Watchdog idiom).

    ``annotations.at`` is when the evaluator sent it; the receiver reads it to know how long the
    evaluator has been silent, whatever Alertmanager repeats meanwhile.
    """
    return {
        "labels": dict(HEARTBEAT_LABELS),
        "annotations": {
            "description": "khp is evaluating; when this stops, monitoring is blind",
            "at": timestamp(stamp),
        },
        "startsAt": timestamp(stamp),
        "endsAt": timestamp(stamp + valid_for),
    }


def number(value: float) -> str:
    """``599.0`` -> ``'599'``, ``46.9`` -> ``'46.9'``, ``0.1 + 0.2`` -> ``'0.3'``."""
    return format(value, ".15g")


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager's API takes it."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))
