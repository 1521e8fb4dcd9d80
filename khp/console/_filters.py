"""The fleet page's filters and order, read from the query string. Pure: no I/O, no Flask.

``?service=hbase&severity=critical&q=dn1&order=newest``: problems of that service, of that
severity (``critical``, ``warning``; ``problems`` for any, ``quiet`` for clusters without), whose
cluster, check, host, monitor or description contains the text (any case). Clusters are sorted
by their worst problem (firing critical, firing warning, pending critical, pending warning,
none), then by age: the newest problem first (``order=newest``, as Icinga lists problems),
the oldest first (``oldest``), or by name (``name``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._problems import CurrentProblem

SEVERITIES = ("critical", "warning", "problems", "quiet")
ORDERS = ("newest", "oldest", "name")
MAX_TEXT = 200


class FilterError(ValueError):
    """A filter value the page does not offer; the message says which are."""


@dataclass(frozen=True)
class FleetFilter:
    """What the fleet and problem pages show, and in which order."""

    service: str = ""
    severity: str = ""
    text: str = ""
    order: str = "newest"

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> FleetFilter:
        """The filter of a query string; ``FilterError`` for a value no form offers."""
        service = (args.get("service") or "").strip().lower()
        severity = (args.get("severity") or "").strip().lower()
        text = (args.get("q") or "").strip()
        order = (args.get("order") or "newest").strip().lower()
        if severity and severity not in SEVERITIES:
            raise FilterError(f"severity {severity!r}: choose one of {', '.join(SEVERITIES)} (or none for all)")
        if order not in ORDERS:
            raise FilterError(f"order {order!r}: choose one of {', '.join(ORDERS)}")
        if len(text) > MAX_TEXT:
            raise FilterError(f"the search text is longer than {MAX_TEXT} characters")
        if service and not service.replace("_", "").replace("-", "").isalnum():
            raise FilterError(f"service {service!r}: a service is a name of letters, digits, '-' and '_'")
        return cls(service, severity, text, order)

    @property
    def active(self) -> bool:
        return bool(self.service or self.severity or self.text)

    def query(self) -> dict[str, str]:
        """The query string of this filter (for links that keep it)."""
        values = {"service": self.service, "severity": self.severity, "q": self.text}
        if self.order != "newest":
            values["order"] = self.order
        return {key: value for key, value in values.items() if value}

    def keeps(self, current: CurrentProblem) -> bool:
        """Does ``current`` pass the service, severity and text filters?"""
        problem = current.problem
        if self.service and problem.service.lower() != self.service:
            return False
        if self.severity in ("critical", "warning") and problem.severity != self.severity:
            return False
        if self.severity == "quiet":
            return False
        return not self.text or self.matches_text(
            current.cluster, problem.check, problem.host or "", problem.monitor, problem.description
        )

    def matches_text(self, *fields: str) -> bool:
        wanted = self.text.casefold()
        return any(wanted in field.casefold() for field in fields)
