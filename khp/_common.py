"""What every subcommand needs: the configuration, the sources, the monitors, and error exits."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluator import Evaluator, Feeds, Monitor, discover_monitors, select
from khp.configuration import Config, load_config, parse_time
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


def runtime(config: Config, monitor_names: Sequence[str] = ()) -> Runtime:
    monitors = discover_monitors(config)
    if monitor_names:
        monitors = select(monitors, monitor_names)
    store = Store(config.store.path)
    return Runtime(config, open_sources(config, store), monitors, store)


def check_clusters(config: Config, names: Sequence[str]) -> tuple[str, ...] | None:
    """The ``--cluster`` scope; a name with no cluster file is allowed (data may still exist)."""
    return tuple(names) if names else None


def eprint(*parts: object) -> None:
    print(*parts, file=sys.stderr)
