"""Typed reads from parsed YAML that fail with the file and the dotted key."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ._durations import parse_duration
from ._errors import ConfigError


class Section:
    """One mapping of a YAML file, read key by key; unknown keys are errors."""

    def __init__(self, file: str, key: str, data: Any) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(file, key, f"expected a mapping, got {_kind(data)}")
        self.file = file
        self.key = key
        self.data: Mapping[str, Any] = data

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.path(name), problem)

    def only(self, allowed: Iterable[str]) -> None:
        """Reject keys outside ``allowed``, listing the allowed ones."""
        allowed = list(allowed)
        for name in self.data:
            if name not in allowed:
                raise self.error(str(name), f"unknown key; allowed keys here: {', '.join(allowed)}")

    def section(self, name: str) -> Section:
        return Section(self.file, self.path(name), self.data.get(name))

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if not isinstance(value, str) or not value:
            raise self.error(name, f"expected a non-empty string, got {_kind(value)}")
        return value

    def strings(self, name: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        value = self.data.get(name, list(default))
        if isinstance(value, str) or not isinstance(value, list):
            raise self.error(name, f"expected a list of strings, got {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise ConfigError(self.file, f"{self.path(name)}[{index}]", f"expected a string, got {_kind(item)}")
        return tuple(value)

    def number(self, name: str, default: float | None = None, minimum: float | None = None) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a number, got {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be {minimum} or more, got {value}")
        return value

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(name, f"expected a whole number of {minimum} or more, got {_kind(value)}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_kind(value)}")
        return value

    def duration(self, name: str, default: str | float, positive: bool = True) -> float:
        value = self.data.get(name, default)
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise self.error(name, str(exc)) from None
        if positive and seconds <= 0:
            raise self.error(name, f"must be longer than 0 seconds, got {value!r}")
        return seconds


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
