"""The check names a silence may name: what monitors pass to ``self.emit``, and the evaluator's own."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterable

from evaluator import MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE, Monitor, discover_monitors
from khp.configuration import Config

EVALUATOR_CHECKS = (MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE)


def emit_names(monitor: type[Monitor]) -> set[str]:
    """The check names a monitor's code passes to ``self.emit`` as literal strings."""
    try:
        source = textwrap.dedent(inspect.getsource(monitor))
    except (OSError, TypeError):
        return set()
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "emit"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
        ):
            continue
        first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def known_checks(monitors: Iterable[type[Monitor]]) -> set[str]:
    """Every check ``monitors`` emit, plus the evaluator's own problems."""
    return {name for monitor in monitors for name in emit_names(monitor)} | set(EVALUATOR_CHECKS)


def configured_checks(config: Config) -> set[str]:
    """The checks of the monitors ``config`` loads (imports them; raises ``MonitorLoadError``)."""
    return known_checks(discover_monitors(config))
