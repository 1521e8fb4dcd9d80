"""The noise ledger, as the seed measured its system: of all problems detected in a period, the
share notified to the warning room and the share notified to the critical room, and why the rest
reached nobody.

Pure. A problem is one episode of a check on a cluster and host, warning and critical together
(``_occurrences.Problem``). It counts as notified to a severity's room when a message about that
severity's alert, firing, was delivered there; a problem that first warned and then went critical
counts in both rooms. Every problem that reached no room has one reason, the first of its
alerts' reasons in ``EPISODE_ORDER``: healed while pending, maintenance, muted (CRI/OFF), another
silence, inhibited, grouped (it fired but healed before its Alertmanager group was sent, so it
appeared only as resolved in another notification, or not at all), flapping (held firing under
the one flapping notification), delivery failed, still pending, fired but not notified yet.

Rows per cluster and per check come sorted to show what to tune: most problems notified first,
then most detected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from khp.configuration import LEVELS

from ._occurrences import REASONS, Message, Problem, Reading


@dataclass(frozen=True)
class LedgerRow:
    """The ledger of a set of problems: detected, notified per room severity, why not, messages sent."""

    name: str
    detected: int = 0
    problems_notified: Mapping[str, int] = field(default_factory=dict)  # warning, critical, any
    notifications_sent: Mapping[str, int] = field(default_factory=dict)  # warning, critical, total
    not_notified: Mapping[str, int] = field(default_factory=dict)  # REASONS -> problems

    @property
    def share_notified(self) -> dict[str, float | None]:
        """Of all problems detected, the share notified to each room (and to any room)."""
        return {room: share(n, self.detected) for room, n in self.problems_notified.items()}

    def as_json(self, label: str) -> dict[str, Any]:
        return {
            label: self.name,
            "detected": self.detected,
            "problems_notified": dict(self.problems_notified),
            "share_notified": self.share_notified,
            "notifications_sent": dict(self.notifications_sent),
            "not_notified": dict(self.not_notified),
        }


@dataclass(frozen=True)
class Ledger:
    """The whole range, then per cluster and per check (sorted: most problems notified first)."""

    total: LedgerRow
    by_cluster: tuple[LedgerRow, ...] = ()
    by_check: tuple[LedgerRow, ...] = ()
    flapping_started: int = 0  # alerts marked flapping in the range

    def as_json(self) -> dict[str, Any]:
        return {
            **self.total.as_json("scope"),
            "flapping_started": self.flapping_started,
            "by_cluster": [row.as_json("cluster") for row in self.by_cluster],
            "by_check": [row.as_json("check") for row in self.by_check],
        }


def ledger(reading: Reading) -> Ledger:
    """The ledger of what ``reading`` found."""
    problems, messages = reading.problems, reading.messages
    return Ledger(
        total=row("all", problems, messages),
        by_cluster=_rows(problems, messages, lambda item: item.cluster),
        by_check=_rows(problems, messages, lambda item: item.check),
        flapping_started=reading.flapping_started,
    )


def row(name: str, problems: Sequence[Problem], messages: Sequence[Message]) -> LedgerRow:
    """The ledger row of ``problems`` with the ``messages`` delivered about them."""
    notified = {level: sum(p.notified(level) for p in problems) for level in LEVELS}
    notified["any"] = sum(any(p.notified(level) for level in LEVELS) for p in problems)
    sent = {level: sum(m.severity == level for m in messages) for level in LEVELS}
    sent["total"] = len(messages)
    reasons = Counter(p.reason for p in problems if p.reason is not None)
    return LedgerRow(
        name=name,
        detected=len(problems),
        problems_notified=notified,
        notifications_sent=sent,
        not_notified={reason: reasons[reason] for reason in REASONS},
    )


def _rows(problems: Iterable[Problem], messages: Iterable[Message], key: Callable[[Any], str]) -> tuple[LedgerRow, ...]:
    groups: dict[str, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(key(problem), []).append(problem)
    sent: dict[str, list[Message]] = {}
    for message in messages:
        sent.setdefault(key(message), []).append(message)
    rows = [row(name, found, sent.get(name, [])) for name, found in groups.items()]
    return tuple(sorted(rows, key=lambda r: (-r.problems_notified["any"], -r.detected, r.name)))


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
