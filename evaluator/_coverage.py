"""Which problem keys a cycle had data for: the evidence that lets an alert resolve (DESIGN §5).

Each element of a compared vector has one of three outcomes: *problem* (present, the
comparison holds), *ok* (present, it does not) or *no data* (absent). ``Coverage`` holds, per
monitor, check and severity, the labels that were present; a key that is not a problem this
cycle resolves only if it is covered. Everything else is "no data" and is held.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from ._problem import DATA_STALE, FAILURE_CHECKS, NO_DATA

Label = tuple[str, "str | None"]


@dataclass(frozen=True)
class Coverage:
    """The labels each (monitor, check, severity) had data for, and the feeds known to be fine.

    ``monitors`` are the monitors this cycle ran (or tried to): a key of a monitor that no
    longer exists is covered, since nothing will ever speak for it again.
    """

    labels: Mapping[tuple[str, str, str], frozenset[Label]] = field(default_factory=dict)
    monitors: frozenset[str] = frozenset()
    feeds: frozenset[tuple] = frozenset()

    def covers(self, key: tuple) -> bool:
        """Is a key that is not a problem this cycle *ok* (resolve it), rather than *no data* (hold it)?"""
        check, monitor, cluster, host, severity = key
        if check in FAILURE_CHECKS:
            return True  # the cycle itself is the evidence: the monitor ran, or failed another way
        if check == DATA_STALE:
            return key in self.feeds
        if check == NO_DATA:
            return True  # the bridge raises and ends these itself
        if monitor not in self.monitors:
            return True
        return (cluster, host) in self.labels.get((monitor, check, severity), frozenset())

    @classmethod
    def of(
        cls,
        per_monitor: Mapping[str, Mapping[tuple[str, str], frozenset[Label]]],
        monitors: Collection[str],
        feeds: frozenset[tuple] = frozenset(),
    ) -> Coverage:
        """From each monitor's ``Monitor.coverage()``."""
        labels = {
            (monitor, check, severity): found
            for monitor, checks in per_monitor.items()
            for (check, severity), found in checks.items()
        }
        return cls(labels, frozenset(monitors), feeds)
