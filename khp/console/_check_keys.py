"""Which threshold keys each check of a monitor compares with, read from the monitor's code.

A check's keys are the ``self.w("key")`` / ``self.c("key")`` calls inside its ``self.emit(...)``
call, and inside the expressions its arguments name: a local variable passed to ``emit`` is
followed to its assignments in the same method (and theirs, transitively). A check whose name is
not a literal, or whose keys cannot be told apart this way, gets the monitor's keys, so the
console never offers fewer thresholds than the check may use.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterable

from evaluator import Monitor, threshold_keys


def check_threshold_keys(monitor: type[Monitor]) -> dict[str, tuple[str, ...]]:
    """Check name -> the threshold keys its ``emit`` compares with (sorted)."""
    everything = tuple(sorted(threshold_keys(monitor)))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(monitor)))
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, set[str]] = {}
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)):
        assignments = _assignments(function)
        for call in (node for node in ast.walk(function) if _is_self_call(node, ("emit",))):
            assert isinstance(call, ast.Call)
            name = _check_name(call)
            if name is None:
                continue
            arguments = [*call.args[1:], *(k.value for k in call.keywords if k.arg != "name")]
            keys = _keys(arguments, assignments)
            found.setdefault(name, set()).update(keys if keys else everything)
    return {name: tuple(sorted(keys)) for name, keys in found.items()}


def _is_self_call(node: ast.AST, names: tuple[str, ...]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def _check_name(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _assignments(function: ast.AST) -> dict[str, list[ast.AST]]:
    """Local name -> the expressions assigned to it in ``function`` (any branch, any order)."""
    found: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in _names(target):
                    found.setdefault(name, []).append(node.value)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            for name in _names(node.target):
                found.setdefault(name, []).append(node.value)
    return found


def _names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _names(element)


def _keys(expressions: Iterable[ast.AST], assignments: dict[str, list[ast.AST]]) -> set[str]:
    keys: set[str] = set()
    seen: set[str] = set()
    todo = list(expressions)
    while todo:
        for node in ast.walk(todo.pop()):
            if _is_self_call(node, ("w", "c")):
                assert isinstance(node, ast.Call)
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    keys.add(node.args[0].value.lstrip(":"))
            elif isinstance(node, ast.Name) and node.id in assignments and node.id not in seen:
                seen.add(node.id)
                todo.extend(assignments[node.id])
    return keys
