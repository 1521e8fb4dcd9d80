"""The check catalog as Markdown: every check of some monitors, read from their code.

``khp monitors --markdown`` prints it; ``docs/checks.md`` is its output for the bundled monitors
and a test fails when that file is stale.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path

from evaluator import CheckInfo, Monitor, describe_checks
from khp.configuration import Threshold

REGENERATE = "khp monitors --markdown > docs/checks.md"


def catalog_markdown(monitors: Sequence[type[Monitor]], thresholds: Mapping[str, Threshold], root: Path) -> str:
    """The catalog of ``monitors``' checks, with the threshold values of ``thresholds``.

    ``root`` is what monitor files are shown relative to.
    """
    by_module: dict[str, list[tuple[type[Monitor], list[CheckInfo]]]] = {}
    for monitor in sorted(monitors, key=lambda m: (_module(m), m.monitor_name())):
        by_module.setdefault(_module(monitor), []).append((monitor, describe_checks(monitor)))
    total = sum(len(checks) for entries in by_module.values() for _m, checks in entries)
    out = [
        "# Check catalog",
        "",
        f"Generated from the monitors' code by `{REGENERATE}`; do not edit it by hand.",
        "",
        f"{_count(total, 'check')} in {_count(len(by_module), 'module')}.",
        "",
        "For each check: when it fires at each level, with the fleet-wide thresholds (the monitors'",
        "defaults unless `khp.yml` changes them; cluster files change them per cluster; *off* is a level",
        "set to null), what it reads, what it means, and what an operator does first. The same text",
        "travels with the alerts: the description as `description`, what to do first as `action`.",
        "",
        "| module | checks |",
        "| --- | --- |",
    ]
    out += [
        f"| [{module}](#{module}) | {sum(len(checks) for _m, checks in entries)} |"
        for module, entries in by_module.items()
    ]
    for module, entries in by_module.items():
        for monitor, checks in entries:
            out += ["", f"## {module}", "", _intro(monitor, root), ""]
            out += _checks_table(checks, thresholds)
            keys = list(dict.fromkeys(key for check in checks for key in check.keys))
            if keys:
                out += ["", "| threshold | warning | critical | meaning |", "| --- | --- | --- | --- |"]
                for key in keys:
                    level = thresholds.get(key, Threshold())
                    cells = [f"`{key}`", _number(level.warning), _number(level.critical), _cell(level.meaning)]
                    out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _module(monitor: type[Monitor]) -> str:
    return monitor.__module__.rsplit(".", 1)[-1]


def _intro(monitor: type[Monitor], root: Path) -> str:
    module = inspect.getmodule(monitor)
    text = " ".join(((module.__doc__ if module else None) or inspect.getdoc(monitor) or "").split())
    file = Path(inspect.getsourcefile(monitor) or "")
    try:
        shown = file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = file.as_posix()
    return f"{text} `{monitor.monitor_name()}` in `{shown}`."


def _checks_table(checks: Sequence[CheckInfo], thresholds: Mapping[str, Threshold]) -> list[str]:
    rows = [
        "| check | fires (defaults) | reads | what it means | what to do first |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check in checks:
        fires = []
        for level in check.levels:
            values = [thresholds.get(key, Threshold()).level(level.severity) for key in level.keys]
            if level.keys and not level.fixed and all(value is None for value in values):
                fires.append(f"**{level.severity}** off")
                continue

            def value(key: str, severity: str) -> str:
                return _number(thresholds.get(key, Threshold()).level(severity))

            fires.append(f"**{level.severity}** `{level.render(value)}`")
        if check.pending:
            fires.append(f"sent after {check.pending} pending")
        cells = [check.name, "<br>".join(fires), "<br>".join(check.reads), check.description, check.action]
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return rows


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(value: float | None) -> str:
    if value is None:
        return "off"
    return str(int(value)) if float(value).is_integer() else format(value, "g")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
