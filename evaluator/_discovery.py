"""Finding monitors: the bundled ones and every configured directory, checked at load time."""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import inspect
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from khp.configuration import Config

from ._errors import MonitorLoadError
from ._monitor import Monitor

BUNDLED_DIR = Path(__file__).resolve().parent / "monitors"


def discover_monitors(config: Config) -> list[type[Monitor]]:
    """Every monitor class in the directories of ``config.monitors``, checked against the config.

    The bundled directory (``monitors: [bundled]``, the default) is imported as the package
    ``evaluator.monitors``; any other directory module by module.
    """
    dirs: list[Path] = []
    for directory in config.monitors:
        if not any(_same(directory, seen) for seen in dirs):
            dirs.append(directory)
    found: dict[str, type[Monitor]] = {}
    for directory in dirs:
        for monitor in monitors_in_directory(directory):
            other = found.get(monitor.monitor_name())
            if other is not None and other is not monitor:
                raise MonitorLoadError(
                    f"two monitors are named {monitor.monitor_name()}: in {inspect.getfile(other)} and"
                    f" {inspect.getfile(monitor)}; rename one"
                )
            found[monitor.monitor_name()] = monitor
    monitors = sorted(found.values(), key=lambda m: m.monitor_name())
    for monitor in monitors:
        check_thresholds(monitor, config)
    return monitors


def monitors_in_directory(directory: Path) -> list[type[Monitor]]:
    """Import each ``*.py`` of ``directory`` (not ``_*``) and return the monitor classes it defines."""
    modules = []
    for file in sorted(directory.glob("*.py")):
        if file.name.startswith("_"):
            continue
        modules.append(_import(file, bundled=_same(directory, BUNDLED_DIR)))
    return [cls for module in modules for cls in monitors_in_module(module)]


def monitors_in_module(module: ModuleType) -> list[type[Monitor]]:
    return [
        cls
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Monitor) and cls.__module__ == module.__name__ and not inspect.isabstract(cls)
    ]


def threshold_keys(monitor: type[Monitor]) -> set[str]:
    """The keys a monitor's code passes to ``self.w``/``self.c`` as literal strings."""
    try:
        source = textwrap.dedent(inspect.getsource(monitor))
    except (OSError, TypeError):
        return set()
    keys = set()
    for node in ast.walk(ast.parse(source)):
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
            keys.add(node.args[0].value.lstrip(":"))
    return keys


def check_thresholds(monitor: type[Monitor], config: Config) -> None:
    """Fail, naming the monitor and key, when it uses a threshold the configuration lacks."""
    unknown = sorted(threshold_keys(monitor) - set(config.thresholds))
    if unknown:
        known = ", ".join(sorted(config.thresholds)) or "none"
        raise MonitorLoadError(
            f"{monitor.monitor_name()} ({_where(monitor)}) uses threshold {', '.join(map(repr, unknown))}, which"
            f" {config.file or 'the configuration'} does not define under 'thresholds'; defined: {known}"
        )


def select(monitors: Iterable[type[Monitor]], names: Iterable[str]) -> list[type[Monitor]]:
    """The monitors named (class name or module name, any case); an unknown name lists the known ones."""
    monitors = list(monitors)
    chosen: list[type[Monitor]] = []
    for name in names:
        wanted = name.lower()
        match = [
            m
            for m in monitors
            if m.monitor_name().lower() == wanted or m.__module__.rsplit(".", 1)[-1].lower() == wanted
        ]
        if not match:
            known = ", ".join(m.monitor_name() for m in monitors)
            raise MonitorLoadError(f"no monitor named {name!r}; known: {known}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _where(monitor: type[Monitor]) -> str:
    try:
        return f"{inspect.getsourcefile(monitor)}:{inspect.getsourcelines(monitor)[1]}"
    except (OSError, TypeError):
        return monitor.__module__


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
            raise MonitorLoadError(f"cannot import bundled monitor module {file}: {exc!r}") from exc
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
        raise MonitorLoadError(f"cannot import monitor module {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise MonitorLoadError(f"cannot import monitor module {file}: {exc!r}") from exc
    return module
