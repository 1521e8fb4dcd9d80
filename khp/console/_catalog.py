"""What the console knows about the monitors: their checks, threshold keys and source files.

Built once at start from the configured monitor directories (adding a monitor needs a
restart of the console, as of the evaluator); a source link that is not a URL is shown by the
console's own source page, which serves only ``.py`` files inside those directories.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evaluator import BUNDLED_DIR, discover_monitors, threshold_keys
from khp.configuration import Config
from khp.silences import EVALUATOR_CHECKS, emit_names

from ._check_keys import check_threshold_keys

PROJECT_ROOT = BUNDLED_DIR.parent.parent


@dataclass(frozen=True)
class Catalog:
    checks: frozenset[str] = frozenset(EVALUATOR_CHECKS)
    keys_by_monitor: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    monitors_by_key: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    directories: tuple[Path, ...] = ()
    keys_by_check: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (monitor, check) -> keys

    def check_keys(self, monitor: str, check: str) -> tuple[str, ...]:
        """The threshold keys a check compares with (its monitor's when the code does not tell)."""
        found = self.keys_by_check.get((monitor, check))
        return found if found is not None else self.keys_by_monitor.get(monitor, ())

    def source_file(self, path: str, config_file: str) -> Path | None:
        """The monitor file a problem's ``source`` path names, if it lies in a monitor directory."""
        if not path or "\x00" in path:
            return None
        candidates = [Path(path)] if Path(path).is_absolute() else [PROJECT_ROOT / path]
        if config_file and not Path(path).is_absolute():
            candidates.append(Path(config_file).resolve().parent / path)
        if not Path(path).is_absolute():
            candidates.append(Path("/") / path)  # an absolute source path, its slash dropped in the URL
        for candidate in candidates:
            resolved = candidate.resolve()
            inside = any(resolved.is_relative_to(directory) for directory in self.directories)
            if inside and resolved.suffix == ".py" and resolved.is_file():
                return resolved
        return None


def build_catalog(config: Config) -> Catalog:
    """The catalog of ``config``'s monitors; raises ``MonitorLoadError`` as the evaluator would."""
    monitors = discover_monitors(config)
    checks = set(EVALUATOR_CHECKS)
    by_monitor: dict[str, tuple[str, ...]] = {}
    by_key: dict[str, list[str]] = {}
    by_check: dict[tuple[str, str], tuple[str, ...]] = {}
    directories = {directory.resolve() for directory in config.monitors}
    for monitor in monitors:
        checks |= emit_names(monitor)
        keys = tuple(sorted(threshold_keys(monitor)))
        by_monitor[monitor.monitor_name()] = keys
        for check, check_keys in check_threshold_keys(monitor).items():
            by_check[(monitor.monitor_name(), check)] = check_keys
        for key in keys:
            by_key.setdefault(key, []).append(monitor.monitor_name())
        file = inspect.getsourcefile(monitor)
        if file:
            directories.add(Path(file).resolve().parent)
    return Catalog(
        checks=frozenset(checks),
        keys_by_monitor=by_monitor,
        monitors_by_key={key: tuple(names) for key, names in by_key.items()},
        directories=tuple(sorted(directories)),
        keys_by_check=by_check,
    )
