"""Finding monitors: the bundled ones and every configured directory, checked at load time.

A module that cannot be imported, or a monitor that uses a threshold nothing defines, does not
stop the others: ``load_monitors`` puts a stand-in in its place (``is_broken``) whose every
run fails with the reason, so the cycle reports it as a critical "Monitor failed" problem that
names the file and line. ``discover_monitors`` is the strict form: it raises the first reason.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import textwrap
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType, TracebackType

from khp.configuration import Config, monitor_defaults

from ._errors import MonitorLoadError
from ._monitor import Monitor

BUNDLED_DIR = Path(__file__).resolve().parent / "monitors"
_CLASS_LINE = re.compile(r"^class\s+([A-Za-z_]\w*)\s*[(:]", re.MULTILINE)


def load_monitors(config: Config) -> list[type[Monitor]]:
    """Every monitor class in the directories of ``config.monitors``; a broken one as a failing stand-in.

    The bundled directory (``monitors: [bundled]``, the default) is imported as the package
    ``evaluator.monitors``; any other directory module by module.
    """
    dirs: list[Path] = []
    for directory in config.monitors:
        if not any(_same(directory, seen) for seen in dirs):
            dirs.append(directory)
    return load_monitor_files([file for directory in dirs for file in monitor_files(directory)], config)


def load_monitor_files(files: Iterable[Path], config: Config) -> list[type[Monitor]]:
    """The monitors of ``files``, checked against ``config``; each one that cannot load as a failing stand-in.

    The files' own threshold declarations are read as the configuration reads those of its
    monitor directories (``khp lint`` checks files that no configuration names yet).
    """
    files = list(files)
    declared = monitor_defaults(sorted({file.parent for file in files}, key=str))
    found: dict[str, type[Monitor]] = {}
    for file in files:
        reason = declared.reasons.get(str(file))
        for monitor in _monitors_of(file, _same(file.parent, BUNDLED_DIR), reason):
            name = monitor.monitor_name()
            other = found.get(name)
            if other is not None and other is not monitor:
                error = MonitorLoadError(
                    f"two monitors are named {name}: in {_file_of(other)} and {_file_of(monitor)}; rename one",
                    where=_where(monitor),
                )
                monitor = broken_monitor(f"{name} in {file.name}", error, monitor.service_name())
                name = monitor.monitor_name()
            found[name] = monitor
    monitors = []
    for monitor in sorted(found.values(), key=lambda m: m.monitor_name()):
        try:
            check_thresholds(monitor, config)
        except MonitorLoadError as error:
            monitor = broken_monitor(monitor.monitor_name(), error, monitor.service_name())
        monitors.append(monitor)
    return monitors


def discover_monitors(config: Config) -> list[type[Monitor]]:
    """``load_monitors``, but the first monitor that cannot load raises its ``MonitorLoadError``."""
    monitors = load_monitors(config)
    for monitor in monitors:
        error = load_error(monitor)
        if error is not None:
            raise error
    return monitors


def is_broken(monitor: type[Monitor]) -> bool:
    """Whether ``monitor`` stands in for one that could not be loaded."""
    return load_error(monitor) is not None


def load_error(monitor: type[Monitor]) -> MonitorLoadError | None:
    """Why ``monitor`` could not be loaded (``None`` for a monitor that loaded)."""
    error = monitor.__dict__.get("_load_error")
    return error if isinstance(error, MonitorLoadError) else None


def broken_monitor(name: str, error: MonitorLoadError, service: str = "khp") -> type[Monitor]:
    """A stand-in named ``name`` whose every run raises ``error``, so each cycle reports it."""

    def run(self: Monitor) -> None:
        raise error

    return type(name, (Monitor,), {"run": run, "_load_error": error, "service": service, "__module__": __name__})


def monitor_files(directory: Path) -> list[Path]:
    """The monitor modules of ``directory``: every ``*.py`` not starting with ``_``."""
    return [file for file in sorted(directory.glob("*.py")) if not file.name.startswith("_")]


def monitors_in_directory(directory: Path) -> list[type[Monitor]]:
    """Import each ``*.py`` of ``directory`` (not ``_*``) and return the monitor classes it defines."""
    modules = [_import(file, bundled=_same(directory, BUNDLED_DIR)) for file in monitor_files(directory)]
    return [cls for module in modules for cls in monitors_in_module(module)]


def import_monitor_file(file: Path) -> ModuleType:
    """Import one monitor module as the evaluator does; a ``MonitorLoadError`` names the line that failed."""
    return _import(file, bundled=_same(file.parent, BUNDLED_DIR))


def monitors_in_module(module: ModuleType) -> list[type[Monitor]]:
    return [
        cls
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Monitor) and cls.__module__ == module.__name__ and not inspect.isabstract(cls)
    ]


def threshold_keys(monitor: type[Monitor]) -> set[str]:
    """The keys a monitor's code passes to ``self.w``/``self.c`` as literal strings."""
    return set(threshold_uses(monitor))


def threshold_uses(monitor: type[Monitor]) -> dict[str, int]:
    """Each literal key a monitor passes to ``self.w``/``self.c``, with the first line (in its file) using it."""
    try:
        lines, start = inspect.getsourcelines(monitor)
    except (OSError, TypeError):
        return {}
    uses: dict[str, int] = {}
    for node in ast.walk(ast.parse(textwrap.dedent("".join(lines)))):
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
            key = node.args[0].value.lstrip(":")
            line = start + node.lineno - 1
            uses[key] = min(line, uses.get(key, line))
    return uses


def check_thresholds(monitor: type[Monitor], config: Config) -> None:
    """Fail, naming the monitor and key, when it uses a threshold the configuration lacks."""
    uses = threshold_uses(monitor)
    unknown = sorted(set(uses) - set(config.thresholds))
    if unknown:
        first = min(uses[key] for key in unknown)
        where = (_file_of(monitor), first)
        raise MonitorLoadError(
            f"{monitor.monitor_name()} ({where[0]}:{first}) uses threshold {', '.join(map(repr, unknown))}, which"
            f" {config.file or 'the configuration'} does not define under 'thresholds' and no monitor declares;"
            f" {_defined(unknown, config.thresholds)}",
            where=where,
        )


def _defined(unknown: list[str], known: Iterable[str]) -> str:
    """The keys there are, and the nearest one to each unknown key."""
    known = sorted(known)
    close = [match for key in unknown for match in difflib.get_close_matches(key, known, n=1)]
    listed = ", ".join(known) if len(known) <= 12 else f"{len(known)} keys ('khp monitors' lists them)"
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    return f"{hint}defined: {listed or 'none'}"


def select(monitors: Iterable[type[Monitor]], names: Iterable[str]) -> list[type[Monitor]]:
    """The monitors named (class name or module name, any case); an unknown name lists the known ones."""
    monitors = list(monitors)
    chosen: list[type[Monitor]] = []
    for name in names:
        wanted = name.lower()
        match = [m for m in monitors if m.monitor_name().lower() == wanted or _module_of(m).lower() == wanted]
        if not match:
            known = ", ".join(m.monitor_name() for m in monitors)
            raise MonitorLoadError(f"no monitor named {name!r}; known: {known}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _module_of(monitor: type[Monitor]) -> str:
    error = load_error(monitor)
    if error is not None and error.where is not None:
        return Path(error.where[0]).stem
    return monitor.__module__.rsplit(".", 1)[-1]


def _monitors_of(file: Path, bundled: bool, reason: str | None) -> list[type[Monitor]]:
    """The monitors of one module, or stand-ins for each class it defines when it cannot be used."""
    if reason is None:
        try:
            return monitors_in_module(_import(file, bundled))
        except MonitorLoadError as error:
            failure = error
    else:
        failure = MonitorLoadError(reason, where=(str(file), _line_in(reason)))
    names = _class_names(file) or [file.stem]
    return [broken_monitor(name, failure, file.stem) for name in names]


def _class_names(file: Path) -> list[str]:
    """The names of the classes ``file`` defines at top level (by its syntax tree, else by its text)."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return _CLASS_LINE.findall(text)
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef) and (node.bases or _has_run(node))]


def _has_run(node: ast.ClassDef) -> bool:
    return any(isinstance(item, ast.FunctionDef) and item.name == "run" for item in node.body)


def _line_in(reason: str) -> int:
    match = re.search(r"\.py:(\d+)", reason)
    return int(match.group(1)) if match else 1


def _file_of(monitor: type[Monitor]) -> str:
    error = load_error(monitor)
    if error is not None and error.where is not None:
        return error.where[0]
    try:
        return inspect.getsourcefile(monitor) or inspect.getfile(monitor)
    except (OSError, TypeError):
        return monitor.__module__


def _where(monitor: type[Monitor]) -> tuple[str, int] | None:
    error = load_error(monitor)
    if error is not None:
        return error.where
    try:
        return _file_of(monitor), inspect.getsourcelines(monitor)[1]
    except (OSError, TypeError):
        return None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _import(file: Path, bundled: bool) -> ModuleType:
    if bundled:
        name = f"evaluator.monitors.{file.stem}"
        try:
            return importlib.import_module(name)
        except Exception as exc:
            raise _import_error(f"cannot import bundled monitor module {file}", file, exc) from exc
    digest = hashlib.sha1(str(file.resolve().parent).encode()).hexdigest()[:10]
    name = f"khp_monitors_{digest}.{file.stem}"
    if name in sys.modules:
        return sys.modules[name]
    package = f"khp_monitors_{digest}"
    if package not in sys.modules:
        sys.modules[package] = ModuleType(package)
        sys.modules[package].__path__ = [str(file.resolve().parent)]  # so `from ._helpers import x` works
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise MonitorLoadError(f"cannot import monitor module {file}", where=(str(file), 1))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise _import_error(f"cannot import monitor module {file}", file, exc) from exc
    return module


def _import_error(what: str, file: Path, exc: Exception) -> MonitorLoadError:
    """The error of a failed import, at the line of ``file`` (or of a helper beside it) that raised."""
    line = 1
    where = str(file)
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        where, line = exc.filename, exc.lineno
    else:
        found = _innermost(exc.__traceback__, file.resolve().parent)
        if found is not None:
            where, line = found
    place = f"line {line}" if where == str(file) else f"line {line} of {where}"
    error = MonitorLoadError(f"{what}: {type(exc).__name__}: {exc} ({place})", where=(where, line))
    error.detail = "".join(traceback.format_exception(exc))
    return error


def _innermost(tb: TracebackType | None, directory: Path) -> tuple[str, int] | None:
    """The innermost frame of ``tb`` in a file of ``directory``: the line of a rule author's code that raised."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        try:
            inside = Path(filename).resolve().parent == directory
        except (OSError, ValueError):
            inside = False
        if inside:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
