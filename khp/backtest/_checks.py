"""Which threshold each check compares with: read from the monitors' code (``emit`` calls).

A hint that suggests a threshold value must know the key and the direction of the check:
``self.emit("Task slot usage", warning=used > self.w("druid_slot_used_percent"))`` says that
the warning of "Task slot usage" fires above ``druid_slot_used_percent.warning``. Only what
is written literally is understood (a level compared with one key, one operator); anything
else gives no threshold suggestion, never a wrong one.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evaluator import Monitor
from khp.configuration import LEVELS

_OPERATORS: dict[type, tuple[str, str]] = {  # operator: (as written, with the sides swapped)
    ast.Gt: (">", "<"),
    ast.GtE: (">=", "<="),
    ast.Lt: ("<", ">"),
    ast.LtE: ("<=", ">="),
}


@dataclass(frozen=True)
class LevelRule:
    """A level of a check fires when the value ``compare``s true with threshold ``key``."""

    key: str
    compare: str


@dataclass(frozen=True)
class CheckRule:
    """A check a monitor emits, with the threshold rule of each level that has a plain one."""

    check: str
    monitor: type[Monitor]
    levels: Mapping[str, LevelRule]


def check_rules(monitors: Iterable[type[Monitor]]) -> list[CheckRule]:
    """Every check the monitors emit under a literal name, in order of the monitors."""
    rules: list[CheckRule] = []
    for monitor in monitors:
        seen: set[str] = set()
        for tree in _trees(monitor):
            for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
                assigned = _assignments(function)
                for call in [n for n in ast.walk(function) if _is_self_call(n, ("emit",))]:
                    assert isinstance(call, ast.Call)
                    name = _check_name(call)
                    if name is None or name in seen:
                        continue
                    seen.add(name)
                    levels = {}
                    for level, expression in _level_arguments(call).items():
                        found = _compared(expression, assigned)
                        if len(found) == 1:
                            key, compare = next(iter(found))
                            levels[level] = LevelRule(key, compare)
                    rules.append(CheckRule(name, monitor, levels))
    return rules


def literal_checks(monitors: Iterable[type[Monitor]]) -> set[str] | None:
    """The check names the monitors emit, or ``None`` when some name is not a literal string."""
    names: set[str] = set()
    for monitor in monitors:
        for tree in _trees(monitor):
            for call in [n for n in ast.walk(tree) if _is_self_call(n, ("emit",))]:
                assert isinstance(call, ast.Call)
                name = _check_name(call)
                if name is None:
                    return None
                names.add(name)
    return names


def _trees(monitor: type[Monitor]) -> list[ast.AST]:
    trees: list[ast.AST] = []
    for cls in monitor.__mro__:
        if cls is Monitor or not (isinstance(cls, type) and issubclass(cls, Monitor)):
            continue
        try:
            trees.append(ast.parse(textwrap.dedent(inspect.getsource(cls))))
        except (OSError, TypeError, SyntaxError):
            continue
    return trees


def _is_self_call(node: ast.AST, names: tuple[str, ...]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def _check_name(call: ast.Call) -> str | None:
    node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _level_arguments(call: ast.Call) -> dict[str, ast.expr]:
    found = {level: call.args[index] for index, level in enumerate(LEVELS, start=1) if len(call.args) > index}
    found.update({k.arg: k.value for k in call.keywords if k.arg in LEVELS})
    return found


def _assignments(function: ast.AST) -> dict[str, ast.expr]:
    """``name = expression`` in a function (a name assigned twice is left out: ambiguous)."""
    found: dict[str, ast.expr] = {}
    twice: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in found:
                twice.add(name)
            found[name] = node.value
    return {name: value for name, value in found.items() if name not in twice}


def _compared(expression: ast.expr, assigned: Mapping[str, ast.expr], depth: int = 0) -> set[tuple[str, str]]:
    """(key, operator) when ``expression`` is one comparison with ``self.w``/``self.c``, else nothing.

    A level combined with other conditions (``quorum_lost | (down > self.c(...))``) is not a
    plain threshold: moving the threshold does not say when it fires.
    """
    if isinstance(expression, ast.Name) and expression.id in assigned and depth < 3:
        return _compared(assigned[expression.id], assigned, depth + 1)
    if not (isinstance(expression, ast.Compare) and len(expression.ops) == 1 and type(expression.ops[0]) in _OPERATORS):
        return set()
    written, swapped = _OPERATORS[type(expression.ops[0])]
    right, left = _threshold_key(expression.comparators[0]), _threshold_key(expression.left)
    if right is not None:
        return {(right, written)}
    if left is not None:
        return {(left, swapped)}
    return set()


def _threshold_key(node: ast.expr) -> str | None:
    if (
        _is_self_call(node, ("w", "c"))
        and isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value.lstrip(":")
    return None
