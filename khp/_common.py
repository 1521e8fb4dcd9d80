"""What every subcommand needs: the configuration, the sources, the monitors, and error exits."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluator import Evaluator, Feeds, Monitor, load_monitors, select
from khp.configuration import SOURCE_KINDS, Config, load_config, parse_duration, parse_time
from khp.sources import Sources, open_sources
from khp.store import FeedLog, Store

DEFAULT_CONFIG = "khp.yml"


class UsageError(Exception):
    """A command-line value that cannot be used; printed without a traceback, exit code 2."""


def config_path(option: str | None) -> Path:
    """``--config``, else ``$KHP_CONFIG``, else ``./khp.yml``."""
    return Path(option or os.environ.get("KHP_CONFIG") or DEFAULT_CONFIG)


def load(option: str | None) -> Config:
    return load_config(config_path(option))


def optional_config(option: str | None) -> Config | None:
    """The configuration if one is named (``--config``, ``$KHP_CONFIG``) or ``./khp.yml`` exists, else ``None``."""
    if option or os.environ.get("KHP_CONFIG") or Path(DEFAULT_CONFIG).exists():
        return load(option)
    return None


def duration_option(text: str) -> float:
    """An argparse ``type`` for durations (``30m``, ``2d``, ``PT1H``)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def step_option(text: str) -> float:
    """An argparse ``type`` for a step between samples or evaluations: a duration longer than 0."""
    seconds = duration_option(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is no step; give one longer than 0 seconds, e.g. 1m")
    return seconds


def whole_option(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``minimum`` (to ``maximum``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
            raise argparse.ArgumentTypeError(f"{text} is out of range; give a whole number {allowed}")
        return value

    return parse


def rate_option(text: str) -> float:
    """An argparse ``type`` for a finite number of 0 or more (rates, seconds per tick)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or value > 1e6:
        raise argparse.ArgumentTypeError(f"{text} is out of range; give a number from 0 to 1000000")
    return value


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 problem``, ``2 problems``: the count and the word in the right number."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def time_option(value: str | None, name: str = "--at") -> float | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


@dataclass
class Runtime:
    """A loaded configuration with its open sources and discovered monitors."""

    config: Config
    sources: Sources
    monitors: list[type[Monitor]]
    store: Store | None

    def evaluator(self) -> Evaluator:
        """An evaluator that remembers how fresh each feed is in the store file (across runs)."""
        return Evaluator(self.config, self.sources, self.monitors, feeds=Feeds(FeedLog(self.config.store.path)))


def runtime(config: Config, monitor_names: Sequence[str] = (), existing_store: bool = False) -> Runtime:
    """The configuration's sources and monitors; one that cannot load stands in to fail each cycle.

    ``existing_store``: refuse (before creating anything) when the data should come from the
    embedded store and its file does not exist: a mistyped ``store:`` would report no problems.
    """
    monitors = load_monitors(config)
    if monitor_names:
        monitors = select(monitors, monitor_names)
    if existing_store:
        require_store(config)
    store = Store(config.store.path)
    return Runtime(config, open_sources(config, store), monitors, store)


def require_store(config: Config) -> None:
    """A ``UsageError`` when a source reads the embedded store and its file does not exist."""
    embedded = [kind for kind in SOURCE_KINDS if getattr(config.sources, kind).type == "embedded"]
    if embedded and not Path(config.store.path).exists():
        raise UsageError(
            f"the store {config.store.path} does not exist (the {', '.join(embedded)} come from it); check"
            f" 'store:' in {config.file or 'khp.yml'}, or fill it with 'khp load' or 'khp simulate'"
        )


def check_clusters(config: Config, names: Sequence[str]) -> tuple[str, ...] | None:
    """The ``--cluster`` scope; a name with no cluster file is allowed (data may still exist)."""
    return tuple(names) if names else None


def eprint(*parts: object) -> None:
    print(*parts, file=sys.stderr)
