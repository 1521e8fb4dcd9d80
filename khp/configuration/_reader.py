"""Typed reads from parsed YAML that fail with the file and the dotted key."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ._durations import parse_duration
from ._errors import ConfigError


@dataclass
class KeyRead:
    """How a configuration key was read: the kind of value and the default (for the reference page)."""

    kind: str = ""
    default: Any = None
    has_default: bool = False


_recording: ContextVar[dict[tuple[str, str], KeyRead] | None] = ContextVar("khp_config_recording", default=None)


@contextmanager
def recording() -> Iterator[dict[tuple[str, str], KeyRead]]:
    """Record every key that ``Section`` reads or allows while the block runs: ``{(file, dotted key): KeyRead}``.

    Loading a configuration under it lists what the loaders accept, with the kind and default each
    reads: the configuration reference is generated from that, so it cannot drift from the code.
    """
    found: dict[tuple[str, str], KeyRead] = {}
    token = _recording.set(found)
    try:
        yield found
    finally:
        _recording.reset(token)


def note_key(file: str, path: str, kind: str = "", default: Any = None, has_default: bool = False) -> None:
    """Tell a running ``recording()`` that ``path`` of ``file`` is a key read as ``kind``.

    ``Section`` calls it for every key; readers of their own (the channels' options) call it too.
    """
    found = _recording.get()
    if found is None:
        return
    read = found.setdefault((file, path), KeyRead())
    if kind and not read.kind:
        read.kind, read.default, read.has_default = kind, default, has_default


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

    def _note(self, name: str, kind: str = "", default: Any = None, has_default: bool = False) -> None:
        if _recording.get() is not None:  # only the reference generator records: no work for a plain load
            note_key(self.file, self.path(name), kind, default, has_default)

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.path(name), problem)

    def only(self, allowed: Iterable[str]) -> None:
        """Reject keys outside ``allowed``, listing the allowed ones."""
        allowed = list(allowed)
        if _recording.get() is not None:
            for name in allowed:
                self._note(name)
        for name in self.data:
            if name not in allowed:
                raise self.error(str(name), f"unknown key; allowed keys here: {', '.join(allowed)}")

    def section(self, name: str) -> Section:
        self._note(name, "mapping")
        return Section(self.file, self.path(name), self.data.get(name))

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, default: str | None = None) -> str:
        self._note(name, "string", default, default is not None)
        value = self.data.get(name, default)
        if not isinstance(value, str) or not value:
            raise self.error(name, f"expected a non-empty string, got {_kind(value)}")
        return value

    def strings(self, name: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        self._note(name, "list of strings", list(default), True)
        value = self.data.get(name, list(default))
        if isinstance(value, str) or not isinstance(value, list):
            raise self.error(name, f"expected a list of strings, got {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise ConfigError(self.file, f"{self.path(name)}[{index}]", f"expected a string, got {_kind(item)}")
        return tuple(value)

    def number(self, name: str, default: float | None = None, minimum: float | None = None) -> float:
        self._note(name, "number" if minimum is None else f"number, {minimum:g} or more", default, default is not None)
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a number, got {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be {minimum} or more, got {value}")
        return value

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        self._note(name, f"whole number, {minimum} or more", default, True)
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(name, f"expected a whole number of {minimum} or more, got {_kind(value)}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        self._note(name, "true or false", default, True)
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_kind(value)}")
        return value

    def duration(self, name: str, default: str | float, positive: bool = True) -> float:
        self._note(name, "duration", default, True)
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
