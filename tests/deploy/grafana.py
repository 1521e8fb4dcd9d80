"""The Grafana dashboards as data: their panels, PromQL targets and template variables.

Grafana fills in template variables before it sends a query; so do these helpers, the way
Grafana's Prometheus data source does (multi-value variables become an escaped regex
alternation), so that promtool and a real Prometheus see what Grafana would send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "configs" / "grafana"
DASHBOARDS = GRAFANA / "dashboards" / "khp"
DATASOURCE_UID = "khp-prometheus"
DATASOURCE = {"type": "prometheus", "uid": DATASOURCE_UID}

BUILTINS = {"__rate_interval": "10s", "__interval": "2s", "__range": "5m"}
"""Grafana's interval variables, as concrete durations that fit a 1 s scrape interval."""

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|]")


@dataclass(frozen=True)
class Target:
    """One PromQL query of one panel."""

    dashboard: str
    panel: str
    ref: str
    expr: str
    repeat: str | None

    @property
    def id(self) -> str:
        return f"{self.dashboard}/{self.panel}/{self.ref}"


@dataclass(frozen=True)
class Variable:
    """A query variable: ``label_values(selector, label)``."""

    name: str
    selector: str
    label: str
    multi: bool


def load_dashboards(directory: Path = DASHBOARDS) -> dict[str, dict[str, Any]]:
    """Every dashboard JSON file in ``directory``, by file name."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))}


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those folded into collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def targets(dashboard: Mapping[str, Any]) -> Iterator[Target]:
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield Target(dashboard["uid"], panel["title"], target["refId"], target["expr"], panel.get("repeat"))


def variables(dashboard: Mapping[str, Any]) -> list[Variable]:
    found = []
    for entry in dashboard.get("templating", {}).get("list", []):
        query = entry["query"]["query"] if isinstance(entry.get("query"), Mapping) else entry.get("query", "")
        match = _LABEL_VALUES.match(query)
        assert match, f"{dashboard['uid']}: variable {entry['name']}: expected label_values(selector, label): {query}"
        multi = bool(entry.get("multi") or entry.get("includeAll"))
        found.append(Variable(entry["name"], match["selector"].strip(), match["label"], multi))
    return found


def all_targets(directory: Path = DASHBOARDS) -> list[Target]:
    return [t for dashboard in load_dashboards(directory).values() for t in targets(dashboard)]


def regex_escape(value: str) -> str:
    """A value as Grafana writes it into a PromQL regex string (``prometheusSpecialRegexEscape``)."""
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))


def format_value(values: Sequence[str], multi: bool) -> str:
    """What Grafana puts in place of a variable with ``values`` selected."""
    if not multi:
        return values[0]
    escaped = [regex_escape(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """``expr`` with every ``$name`` / ``${name}`` replaced; an unknown variable raises ``KeyError``."""
    known = {**BUILTINS, **values}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in known:
            raise KeyError(f"unknown template variable ${name} in {expr}")
        return known[name]

    return _VARIABLE.sub(replace, expr)


def placeholders(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """Made-up values for a dashboard's variables, enough for promtool's syntax check."""
    return {v.name: format_value(["alpha", "beta (2)"], v.multi) for v in variables(dashboard)}
