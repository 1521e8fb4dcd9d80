"""Checking monitor files before they run: what ``khp lint`` reports for a rules repository's CI.

Three passes, each naming the file and line:

1. load: the module imports, its ``thresholds`` declaration is a literal, every key it uses is
   defined, no two monitors share a name (the evaluator's own load checks);
2. read: the source, without running it, for an ``emit`` of a check name already emitted and an
   ``emit`` of a query that is never compared (every element would become a problem);
3. run: each monitor once against an empty embedded store, so a misspelt method, a malformed
   metric path or a wrong process state fails here rather than in production.
"""

from __future__ import annotations

import ast
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from khp.configuration import Config
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import Store

from ._context import EvaluationContext
from ._discovery import load_error, load_monitor_files
from ._failure import failure_location, failure_message
from ._monitor import Monitor
from ._queries import CycleQueries

# DSL calls that return a vector of raw values: emitting one that was never compared is a mistake.
QUERIES = frozenset(
    {
        "all",
        "max",
        "min",
        "sum",
        "avg",
        "count",
        "log_count",
        "log_search",
        "process_count",
        "hosts",
        "host_count",
        "running_count",
        "hosts_without",
        "missing_roles",
        "silent_hosts",
        "unreachable_hosts",
    }
)


@dataclass(frozen=True, order=True)
class Finding:
    """One thing wrong, at a file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class LintResult:
    """The monitors checked and what was found."""

    monitors: tuple[type[Monitor], ...]
    files: tuple[Path, ...]
    findings: tuple[Finding, ...]


def lint(files: Sequence[Path], config: Config, run: bool = True) -> LintResult:
    """Check the monitor ``files`` against ``config`` (load, read, and unless ``run`` is false, run)."""
    monitors = load_monitor_files(files, config)
    findings: set[Finding] = set()
    for monitor in monitors:
        error = load_error(monitor)
        if error is not None:
            where, line = error.where or (str(monitor.__module__), 1)
            findings.add(Finding(where, line, _without_place(str(error), where, line)))
    for file in files:
        findings.update(read_source(file))
    if run:
        runnable = [m for m in monitors if load_error(m) is None]
        findings.update(dry_run(runnable, config))
    return LintResult(tuple(monitors), tuple(files), tuple(sorted(findings)))


def _without_place(message: str, file: str, line: int) -> str:
    """``message`` without the ``file:line:`` it starts with (the finding says where)."""
    for place in (f"{file}:{line}: ", f"{file}: "):
        if message.startswith(place):
            return message[len(place) :]
    return message


def read_source(file: Path) -> list[Finding]:
    """Findings in ``file``'s source: check names emitted twice in a class, queries emitted uncompared."""
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (SyntaxError, ValueError, OSError):
        return []  # the load pass reports it
    findings = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            findings.extend(_class_findings(str(file), node))
    return findings


def _class_findings(file: str, cls: ast.ClassDef) -> list[Finding]:
    findings = []
    emitted: dict[str, int] = {}
    for function in [n for n in ast.walk(cls) if isinstance(n, ast.FunctionDef)]:
        assigned = _assignments(function)
        for call in [n for n in ast.walk(function) if _is_self_call(n, "emit")]:
            assert isinstance(call, ast.Call)
            name = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
            if isinstance(name, str):
                if name in emitted:
                    findings.append(
                        Finding(
                            file,
                            call.lineno,
                            f"{cls.name}: check {name!r} is already emitted at line {emitted[name]};"
                            " give each emit its own check name",
                        )
                    )
                else:
                    emitted[name] = call.lineno
            levels = {kw.arg: kw.value for kw in call.keywords if kw.arg in ("warning", "critical")}
            levels.update(zip(("warning", "critical"), call.args[1:3], strict=False))
            for level, value in levels.items():
                if _uncompared(value, assigned, set()):
                    findings.append(
                        Finding(
                            file,
                            call.lineno,
                            f"{cls.name}: emit({name!r}) {level}= is a query that is never compared, so every"
                            f" element would be a problem; compare it, e.g. {level}=value > self.{level[0]}('key')",
                        )
                    )
    return findings


def _is_self_call(node: ast.AST, names: str | Iterable[str]) -> bool:
    wanted = {names} if isinstance(names, str) else set(names)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in wanted
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def _assignments(function: ast.FunctionDef) -> dict[str, ast.expr | None]:
    """Each local name assigned exactly once in ``function``, with its value (``None``: assigned more often)."""
    found: dict[str, ast.expr | None] = {}
    for node in ast.walk(function):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = None if target.id in found else node.value  # type: ignore[attr-defined]
        if isinstance(node, (ast.AugAssign, ast.For, ast.With)) or (
            isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        ):
            for name in [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]:
                found[name] = None
    return found


def _uncompared(value: ast.expr, assigned: dict[str, ast.expr | None], seen: set[str]) -> bool:
    """Whether ``value`` is surely made of queries, arithmetic and numbers only, with no comparison."""
    if _is_self_call(value, QUERIES):
        return True
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        sides = [value.left, value.right]
        return all(_uncompared(s, assigned, seen) or isinstance(s, ast.Constant) for s in sides) and any(
            _uncompared(s, assigned, seen) for s in sides
        )
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return _uncompared(value.operand, assigned, seen)
    if isinstance(value, ast.Name) and value.id not in seen:
        bound = assigned.get(value.id)
        return bound is not None and _uncompared(bound, assigned, seen | {value.id})
    return False


def dry_run(monitors: Sequence[type[Monitor]], config: Config, at: float | None = None) -> list[Finding]:
    """Run each monitor once against an empty embedded store; each one that raises (or hangs) is a finding."""
    findings = []
    when = time.time() if at is None else at
    timeout = config.evaluation.monitor_timeout
    with tempfile.TemporaryDirectory(prefix="khp-lint-") as directory:
        store = Store(Path(directory) / "empty.db")
        sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
        with ThreadPoolExecutor(4, thread_name_prefix="khp-lint-query") as pool:
            for monitor in monitors:
                context = EvaluationContext(config, sources, CycleQueries(pool), when)
                outcome: list[BaseException | None] = []
                thread = threading.Thread(
                    target=_run_once, args=(monitor, context, outcome), name=f"khp-lint-{monitor.__name__}", daemon=True
                )
                thread.start()
                thread.join(timeout)
                if not outcome:
                    file, line = failure_location(monitor, TimeoutError())
                    findings.append(
                        Finding(file, line, f"{monitor.monitor_name()}: did not finish within {timeout:g}s on no data")
                    )
                elif outcome[0] is not None:
                    file, line = failure_location(monitor, outcome[0])
                    message = failure_message(outcome[0], file, line, located=False)
                    findings.append(Finding(file, line, f"{monitor.monitor_name()} fails on no data: {message}"))
        store.close()
    return findings


def _run_once(monitor: type[Monitor], context: EvaluationContext, outcome: list[BaseException | None]) -> None:
    try:
        instance = monitor(context)
        instance.run()
        instance.problems()
    except BaseException as exc:  # what the evaluator would report as "Monitor failed"
        outcome.append(exc)
        return
    outcome.append(None)
