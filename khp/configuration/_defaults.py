"""Threshold defaults that monitors carry: ``thresholds = {...}`` in a monitor class.

A monitor declares the default warning and critical value of each threshold key it uses::

    class KuduMonitor(Monitor):
        thresholds = {
            "kudu_tablets_num_running": {"warning": 2000, "critical": None, "meaning": "tablets per server"},
        }

khp.yml's ``thresholds:`` then overrides only the levels it names. The declarations are read
from the monitor files without running them (the value must be a literal), so the configuration
and the cluster files can be checked against them before any monitor is imported, and a monitor
module that fails to import still lends its keys to that check. A file whose declaration is not
a valid literal, or disagrees with another file's, lends none and is listed with the reason: the
evaluator reports its monitors as failed and runs the others.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._cache import FileCache, build_with
from ._errors import ConfigError
from ._model import LEVELS, Threshold

ATTRIBUTE = "thresholds"
_ENTRY_KEYS = (*LEVELS, "meaning")


@dataclass(frozen=True)
class MonitorDefaults:
    """The defaults declared in some monitor directories, and the files that could not be read."""

    thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    declared_in: Mapping[str, str] = field(default_factory=dict)  # key -> "file:line"
    unreadable: tuple[str, ...] = ()  # files that lend no keys: not Python, or a bad declaration
    reasons: Mapping[str, str] = field(default_factory=dict)  # file -> why its declaration is not used


def parse_defaults(value: Any, where: str) -> dict[str, Threshold]:
    """``{key: {"warning": .., "critical": .., "meaning": ".."}}`` as ``Threshold``s, or a ``ConfigError``."""
    if not isinstance(value, Mapping):
        raise ConfigError(where, ATTRIBUTE, f"expected a dict of threshold keys, got {type(value).__name__}")
    parsed = {}
    for key, entry in value.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ConfigError(where, f"{ATTRIBUTE}[{key!r}]", "a threshold key is a name of letters, digits and _")
        if not isinstance(entry, Mapping):
            raise ConfigError(
                where, f"{ATTRIBUTE}[{key!r}]", 'expected {"warning": .., "critical": .., "meaning": ".."}'
            )
        unknown = [name for name in entry if name not in _ENTRY_KEYS]
        if unknown:
            raise ConfigError(
                where, f"{ATTRIBUTE}[{key!r}]", f"unknown key {unknown[0]!r}; allowed: {', '.join(_ENTRY_KEYS)}"
            )
        levels = {}
        for level in LEVELS:
            number = entry.get(level)
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number)
            ):
                raise ConfigError(
                    where, f"{ATTRIBUTE}[{key!r}][{level!r}]", f"expected a number or None, got {number!r}"
                )
            levels[level] = number
        meaning = entry.get("meaning", "")
        if not isinstance(meaning, str):
            raise ConfigError(where, f"{ATTRIBUTE}[{key!r}]['meaning']", "expected a string")
        parsed[key] = Threshold(warning=levels["warning"], critical=levels["critical"], meaning=meaning)
    return parsed


def monitor_defaults(directories: Iterable[Path], cache: FileCache | None = None) -> MonitorDefaults:
    """Every ``thresholds`` declaration in the monitor modules of ``directories`` (not ``_*.py``).

    Two declarations of one key must agree. A file that is not valid Python, or whose declaration
    is not a literal or disagrees with an earlier file's, lends no key and is listed in
    ``unreadable`` (with the reason in ``reasons`` for a bad declaration); the evaluator reports its
    monitors as failed. With a ``cache``, a module is parsed again only when it changed.
    """
    found: dict[str, Threshold] = {}
    declared_in: dict[str, str] = {}
    unreadable: list[str] = []
    reasons: dict[str, str] = {}
    for directory in directories:
        for file in sorted(directory.glob("*.py")):
            if file.name.startswith("_"):
                continue
            try:
                declarations = build_with(cache, "monitor", file, _file_declarations)
                if declarations is None:  # not valid Python
                    unreadable.append(str(file))
                    continue
                own = _file_defaults(declarations, str(file), found, declared_in)
            except ConfigError as exc:
                unreadable.append(str(file))
                reasons[str(file)] = str(exc)
                continue
            for key, (threshold, where) in own.items():
                if key not in found or (threshold.meaning and not found[key].meaning):
                    found[key] = threshold
                    declared_in.setdefault(key, where)
    return MonitorDefaults(found, declared_in, tuple(unreadable), reasons)


def _file_defaults(
    declarations: list[tuple[int, Any]], file: str, found: Mapping[str, Threshold], declared_in: Mapping[str, str]
) -> dict[str, tuple[Threshold, str]]:
    """The declarations of one file, checked against the ones found before it; a ``ConfigError`` if unusable."""
    own: dict[str, tuple[Threshold, str]] = {}
    for line, value in declarations:
        where = f"{file}:{line}"
        for key, threshold in parse_defaults(value, where).items():
            other, other_where = own.get(key) or (found.get(key), declared_in.get(key, ""))
            if other is not None and other.levels() != threshold.levels():
                raise ConfigError(
                    where,
                    f"{ATTRIBUTE}[{key!r}]",
                    f"{other_where} declares other defaults {other.levels()}; make them agree",
                )
            if other is None or (threshold.meaning and not other.meaning):
                own[key] = (threshold, where)
    return own


def _file_declarations(file: Path) -> list[tuple[int, Any]] | None:
    """The declarations of one module, or ``None`` if it is not valid Python."""
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (SyntaxError, ValueError, OSError):
        return None
    return _declarations(tree, str(file))


def _declarations(tree: ast.Module, file: str) -> list[tuple[int, Any]]:
    """``(line, value)`` of each ``thresholds = <literal>`` in the body of a top-level class."""
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            target, value = _assignment(statement)
            if target != ATTRIBUTE or value is None:
                continue
            try:
                found.append((statement.lineno, ast.literal_eval(value)))
            except ValueError:
                raise ConfigError(
                    f"{file}:{statement.lineno}",
                    f"{node.name}.{ATTRIBUTE}",
                    "must be a literal dict (numbers, None and strings): it is read without running the module",
                ) from None
    return found


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None
