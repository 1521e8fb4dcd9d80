"""A cluster's thresholds as the console shows and edits them. Pure: no I/O, no Flask.

The form of one threshold has a warning and a critical field: a number sets that level for
the cluster, ``off`` turns it off there (``null`` in the file), and an empty field leaves the
global default in force (the level is removed from the cluster's file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from khp.configuration import LEVELS, Config, Threshold

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
OFF = "off"


class ThresholdInputError(ValueError):
    """A threshold form that cannot be saved; the message says which field and what is allowed."""


@dataclass(frozen=True)
class ThresholdRow:
    """One threshold key for one cluster: the default, the cluster's own levels, what is in force."""

    key: str
    default: Threshold
    own: Mapping[str, float | None]  # the levels the cluster's file sets (None: off)
    monitors: tuple[str, ...] = ()

    def effective(self, level: str) -> float | None:
        return self.own[level] if level in self.own else self.default.level(level)

    def is_own(self, level: str) -> bool:
        return level in self.own

    def differs(self, level: str) -> bool:
        return level in self.own and self.own[level] != self.default.level(level)

    @property
    def overridden(self) -> bool:
        """The cluster's file sets this key (to a value different from the default or not)."""
        return bool(self.own)

    @property
    def different(self) -> bool:
        return any(self.differs(level) for level in LEVELS)

    def field(self, level: str) -> str:
        """What the form field shows: the cluster's own value, ``off``, or empty for the default."""
        if level not in self.own:
            return ""
        return OFF if self.own[level] is None else format_number(self.own[level])


def threshold_rows(config: Config, cluster: str, monitors: Mapping[str, tuple[str, ...]]) -> list[ThresholdRow]:
    """Every threshold key of ``config`` with ``cluster``'s levels; ``monitors`` maps key -> monitors using it."""
    own = config.clusters[cluster].thresholds if cluster in config.clusters else {}
    return [
        ThresholdRow(key, config.thresholds[key], dict(own.get(key, {})), monitors.get(key, ()))
        for key in sorted(config.thresholds)
    ]


def parse_entry(config: Config, key: str, warning: str | None, critical: str | None) -> dict[str, float | None]:
    """The cluster file's new entry for ``key`` from the form; ``{}`` means "back to the defaults"."""
    if key not in config.thresholds:
        known = ", ".join(sorted(config.thresholds)) or "none"
        raise ThresholdInputError(f"unknown threshold {key!r}; {config.file or 'khp.yml'} defines: {known}")
    entry: dict[str, float | None] = {}
    for level, text in (("warning", warning), ("critical", critical)):
        raw = (text or "").strip()
        if not raw:
            continue
        if raw.lower() in (OFF, "null"):
            entry[level] = None
            continue
        if not _NUMBER.match(raw):
            raise ThresholdInputError(
                f"{key}.{level}: {raw!r} is not a number; write a number like 80 or 0.5, 'off' to turn the level"
                " off for this cluster, or leave it empty for the default"
            )
        value = float(raw)
        if not math.isfinite(value):
            raise ThresholdInputError(f"{key}.{level}: {raw!r} is too large; write a finite number")
        entry[level] = int(value) if value.is_integer() and abs(value) < 2**53 else value
    return entry


def format_number(value: float | None) -> str:
    if value is None:
        return OFF
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_change(key: str, before: Mapping[str, float | None], after: Mapping[str, float | None]) -> str:
    """``threshold druid_slot_used_percent: warning 70 -> 60, critical default -> off`` for the history."""

    def shown(entry: Mapping[str, float | None], level: str) -> str:
        return format_number(entry[level]) if level in entry else "default"

    changes = [
        f"{level} {shown(before, level)} -> {shown(after, level)}"
        for level in LEVELS
        if shown(before, level) != shown(after, level)
    ]
    return f"threshold {key}: {', '.join(changes) or 'unchanged'}"
