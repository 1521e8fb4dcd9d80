"""The checks of a monitor as its source states them: names, levels, thresholds, reads, meaning, action.

Read from the code without running it, as ``threshold_keys`` is: each ``self.emit("name", ...)``
call of the class gives a ``CheckInfo``. A level's condition is its ``warning=``/``critical=``
expression, with local names that hold comparisons written out and ``self.w(key)``/``self.c(key)``
left as placeholders for the threshold's value; what the check reads is found by following the
names of that expression back to the queries that made them (paths in backticks, as the catalog
shows them)::

    for check in describe_checks(HdfsMonitor):
        check.name, [level.condition for level in check.levels], check.reads
    # 'HDFS capacity', ['used_percent > hdfs_capacity_used_percent', ...],
    # ('max of `hdfs/namenode/CapacityUsed`', 'max of `hdfs/namenode/CapacityTotal`')
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._monitor import Monitor

LEVELS = ("warning", "critical")
_MARK = re.compile(r"⟨(\w+):(warning|critical)⟩")
_AGGREGATES = ("all", "max", "min", "sum", "avg", "count")
_INVENTORY = ("host_count", "running_count", "hosts")


@dataclass(frozen=True)
class Level:
    """One level of a check: its condition, with ``⟨key:level⟩`` where a threshold's value goes."""

    severity: str
    template: str
    keys: tuple[str, ...]
    fixed: bool  # whether it compares something with a constant or another vector, not only thresholds

    @property
    def condition(self) -> str:
        """The condition with threshold keys by name: ``used_percent > hdfs_capacity_used_percent``."""
        return _MARK.sub(lambda m: m[1], self.template)

    def render(self, value: Callable[[str, str], str]) -> str:
        """The condition with ``value(key, level)`` in place of each threshold."""
        return _MARK.sub(lambda m: value(m[1], m[2]), self.template)


@dataclass(frozen=True)
class CheckInfo:
    """One check of a monitor, as its ``emit`` call says."""

    name: str
    monitor: str
    module: str
    line: int
    description: str
    action: str
    pending: str | None
    levels: tuple[Level, ...]
    reads: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The threshold keys the check's levels use, in order of appearance."""
        return tuple(dict.fromkeys(key for level in self.levels for key in level.keys))


def describe_checks(monitor: type[Monitor]) -> list[CheckInfo]:
    """The checks ``monitor`` emits, in the order of its ``emit`` calls; none if its source is unavailable."""
    try:
        lines, first = inspect.getsourcelines(monitor)
    except (OSError, TypeError):
        return []
    tree = ast.parse(textwrap.dedent("".join(lines)))
    names = _Names(tree)
    module = monitor.__module__.rsplit(".", 1)[-1]
    default_pending = monitor.pending
    found = []
    for call in _calls(tree, "emit"):
        if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
            continue
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        levels = []
        reads: list[str] = []
        for severity in LEVELS:
            expression = keywords.get(severity)
            if expression is None or (isinstance(expression, ast.Constant) and expression.value is None):
                continue
            levels.append(_level(severity, expression, names, call.lineno))
            reads.extend(_reads(expression, names, call.lineno, set()))
        pending = _text(keywords.get("pending"))
        found.append(
            CheckInfo(
                name=call.args[0].value,
                monitor=monitor.monitor_name(),
                module=module,
                line=first + call.lineno - 1,
                description=_text(keywords.get("description")) or "",
                action=_text(keywords.get("action")) or "",
                pending=pending if pending is not None else (str(default_pending) if default_pending else None),
                levels=tuple(levels),
                reads=tuple(dict.fromkeys(reads)),
            )
        )
    return found


class _Names:
    """The assignments ``name = value`` of a class's source, by name."""

    def __init__(self, tree: ast.AST) -> None:
        self.assigned: dict[str, list[ast.Assign]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append(node)

    def value(self, name: str, before: int) -> ast.expr | None:
        """The value last assigned to ``name`` above line ``before``."""
        earlier = [a for a in self.assigned.get(name, ()) if a.lineno < before]
        return max(earlier, key=lambda a: a.lineno).value if earlier else None


def _calls(tree: ast.AST, method: str) -> Iterator[ast.Call]:
    """``self.<method>(...)`` calls in source order."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    ]
    return iter(sorted(found, key=lambda n: (n.lineno, n.col_offset)))


def _threshold(node: ast.AST) -> tuple[str, str] | None:
    """``(key, level)`` when ``node`` is ``self.w("key")`` or ``self.c("key")``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("w", "c")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value.lstrip(":"), "warning" if node.func.attr == "w" else "critical"
    return None


def _level(severity: str, expression: ast.expr, names: _Names, line: int) -> Level:
    keys: list[str] = []
    fixed = False

    class Inline(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = names.value(node.id, line)
            if value is not None and _is_condition(value):
                return self.visit(_copy(value))  # a filtered vector: show the comparison it holds
            return node

        def visit_Compare(self, node: ast.Compare) -> ast.AST:
            nonlocal fixed
            if any(_threshold(c) is None for c in node.comparators):
                fixed = True
            self.generic_visit(node)
            return node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            found = _threshold(node)
            if found is None:
                self.generic_visit(node)
                return node
            keys.append(found[0])
            return ast.Name(id=f"⟨{found[0]}:{found[1]}⟩")

    shown = Inline().visit(_copy(expression))
    text = ast.unparse(shown).replace(" & ", " and ").replace(" | ", " or ")
    return Level(severity, text, tuple(dict.fromkeys(keys)), fixed)


def _is_condition(node: ast.expr) -> bool:
    """Whether ``node`` is a comparison, or comparisons joined by ``&`` / ``|``."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        return _is_condition(node.left) or _is_condition(node.right)
    return False


def _reads(node: ast.AST, names: _Names, line: int, seen: set[str]) -> list[str]:
    """What ``node`` queries, following names back to their assignments."""
    found: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in seen:
            seen.add(sub.id)
            value = names.value(sub.id, line)
            if value is not None:
                found.extend(_reads(value, names, line, seen))
        if not (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)):
            continue
        if not (isinstance(sub.func.value, ast.Name) and sub.func.value.id == "self"):
            continue
        method, argument = sub.func.attr, _path(sub.args[0]) if sub.args else None
        if method in _AGGREGATES and argument:
            window = next((_text(k.value) for k in sub.keywords if k.arg == "window"), None)
            shown = f"`{argument}`" if method == "all" else f"{method} of `{argument}`"
            found.append(f"{shown} in {window}" if window else shown)
        elif method == "log_count" and argument:
            period = next((_text(k.value) for k in sub.keywords if k.arg == "period"), None) or "PT10M"
            found.append(f"log lines `{argument}` in {period}")
        elif method == "log_search":
            found.append("an Elasticsearch search")
        elif method == "process_count" and argument:
            found.append(f"processes in state {argument}")
        elif method in _INVENTORY and argument:
            found.append(f"processes of `{argument}`")
        elif method == "hosts_without" and argument:
            found.append(f"hosts without `{argument}`")
        elif method == "unreachable_hosts":
            found.append("Supervisor answers")
        elif method == "silent_hosts":
            found.append("hosts with no process state")
        elif method == "missing_roles":
            found.append("the cluster file's hosts")
    return found


def _path(node: ast.AST) -> str | None:
    """A literal path, or an f-string with its fields written ``<name>``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append(f"<{ast.unparse(value.value)}>")
        return "".join(parts)
    return None


def _text(node: ast.AST | None) -> str | None:
    """A literal string or number as text (``pending="10m"``, ``pending=600``)."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    return str(node.value) if isinstance(node.value, (str, int, float)) else None


def _copy(node: ast.expr) -> ast.expr:
    """A fresh tree of ``node``, so rewriting it leaves the parsed source alone."""
    return ast.parse(ast.unparse(node), mode="eval").body
