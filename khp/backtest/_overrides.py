"""Candidate settings: ``--set KEY.LEVEL=VALUE`` thresholds and ``--pending [CHECK=|CLUSTER:]DURATION``.

Each ``--set`` is an edit of the configuration, as if made in its file: ``KEY.LEVEL=V`` edits
the default in ``khp.yml`` (clusters whose own file sets that level keep their value),
``CLUSTER:KEY.LEVEL=V`` edits that cluster's file. ``null`` turns the level off.

``--pending DURATION`` gives every problem that pending time, ``CHECK=DURATION`` the problems of
one check (as ``pending=`` on its ``emit`` would), ``CLUSTER:DURATION`` edits the cluster's file
(``pending:``): every check there that does not set its own in code.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from khp.configuration import LEVELS, ClusterConfig, Config, format_duration, parse_duration

from ._errors import OverrideError

_NULLS = ("null", "none", "~")
_CLUSTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # as a cluster file's name


@dataclass(frozen=True)
class Override:
    """A candidate threshold: ``key``'s ``level`` set to ``value`` (``None``: off), by default or for ``cluster``."""

    key: str
    level: str
    value: float | None
    cluster: str | None = None

    def __str__(self) -> str:
        where = f"{self.cluster}:" if self.cluster else ""
        return f"{where}{self.key}.{self.level}={_number(self.value)}"

    def current(self, config: Config) -> float | None:
        """The value it replaces."""
        if self.cluster is None:
            return config.thresholds[self.key].level(self.level)
        return config.threshold(self.key, self.cluster, self.level)


@dataclass(frozen=True)
class PendingOverride:
    """A candidate pending time: for every problem of ``check`` (every problem when ``None``), or
    ``cluster``'s own (its file's ``pending:``, an edit of the configuration: ``apply_pending``)."""

    seconds: float
    check: str | None = None
    cluster: str | None = None

    def __post_init__(self) -> None:
        if self.check is not None and self.cluster is not None:
            raise OverrideError(
                f"pending {self.seconds:g}s of {self.check!r} on {self.cluster}: a cluster's file sets one pending time"
                " for all its checks; give the check or the cluster"
            )

    def __str__(self) -> str:
        duration = format_duration(self.seconds)
        if self.cluster is not None:
            return f"{self.cluster}:{duration}"
        return f"{self.check}={duration}" if self.check else duration

    def applies(self, check: str) -> bool:
        """Does it replace the pending time of a problem of ``check``? (A cluster's is in the configuration.)"""
        return self.cluster is None and (self.check is None or self.check == check)

    def current(self, config: Config) -> float:
        """The pending time a cluster's one replaces: its file's, else ``evaluation.pending``."""
        own = config.clusters.get(self.cluster) if self.cluster is not None else None
        return own.pending if own is not None and own.pending is not None else config.evaluation.pending


def parse_override(text: str, config: Config) -> Override:
    """``[CLUSTER:]KEY.LEVEL=VALUE`` checked against ``config``; ``OverrideError`` says what is wrong."""
    name, sep, raw = str(text).partition("=")
    if not sep or not name.strip() or not raw.strip():
        raise OverrideError(
            f"--set {text!r}: write KEY.LEVEL=VALUE, for example druid_slot_used_percent.warning=85"
            " (or CLUSTER:KEY.LEVEL=VALUE for one cluster; VALUE null turns the level off)"
        )
    cluster, colon, dotted = name.strip().rpartition(":")
    if colon and not cluster:
        raise OverrideError(f"--set {text!r}: a cluster name goes before ':'")
    key, dot, level = dotted.rpartition(".")
    if not dot or not key:
        raise OverrideError(f"--set {text!r}: name the level after the key: {dotted}.warning or {dotted}.critical")
    if key not in config.thresholds:
        raise OverrideError(
            f"--set {text!r}: no threshold {key!r} in {config.file or 'the configuration'}{_keys(key, config)}"
        )
    if level not in LEVELS:
        raise OverrideError(f"--set {text!r}: no level {level!r}; valid levels: {', '.join(LEVELS)}")
    return Override(key, level, _value(raw.strip(), text), cluster or None)


def parse_pending(text: str, checks: Iterable[str] | None = None) -> PendingOverride:
    """``DURATION``, ``CHECK=DURATION`` or ``CLUSTER:DURATION``; with ``checks``, an unknown check lists them."""
    check, sep, raw = str(text).rpartition("=")
    if not sep:
        check, raw = "", text
        cluster, colon, raw = str(text).rpartition(":")
        if colon:
            if not _CLUSTER.match(cluster.strip()):
                raise OverrideError(f"--pending {text!r}: write CLUSTER:DURATION, e.g. kudu-004:15m")
            return PendingOverride(_seconds(raw, text), None, cluster.strip())
    seconds = _seconds(raw, text)
    check = check.strip()
    if sep and not check:
        raise OverrideError(f"--pending {text!r}: write DURATION or CHECK=DURATION, e.g. 'Task slot usage=10m'")
    known = sorted(set(checks)) if checks is not None else None
    if check and known is not None and check not in known:
        raise OverrideError(
            f"--pending {text!r}: no check {check!r} in these monitors; valid checks: {', '.join(known)}"
        )
    return PendingOverride(seconds, check or None)


def validate(overrides: Iterable[Override], config: Config) -> tuple[Override, ...]:
    """``overrides`` checked against ``config`` (keys, levels, each set once)."""
    seen: dict[tuple[str | None, str, str], Override] = {}
    for override in overrides:
        if override.key not in config.thresholds:
            raise OverrideError(f"--set {override}: no threshold {override.key!r}{_keys(override.key, config)}")
        if override.level not in LEVELS:
            raise OverrideError(f"--set {override}: no level {override.level!r}; valid levels: {', '.join(LEVELS)}")
        where = (override.cluster, override.key, override.level)
        if where in seen:
            raise OverrideError(f"--set {override}: {seen[where]} already sets it; give each value once")
        seen[where] = override
    return tuple(seen.values())


def apply_overrides(config: Config, overrides: Iterable[Override]) -> Config:
    """A new ``Config``: ``config`` with the candidate values (``config`` itself is not changed)."""
    overrides = validate(overrides, config)
    if not overrides:
        return config
    thresholds = dict(config.thresholds)
    clusters = dict(config.clusters)
    for override in overrides:
        if override.cluster is None:
            levels = thresholds[override.key].levels() | {override.level: override.value}
            thresholds[override.key] = dataclasses.replace(
                thresholds[override.key], warning=levels["warning"], critical=levels["critical"]
            )
            continue
        own = clusters.get(override.cluster) or ClusterConfig(name=override.cluster, file="<backtest candidate>")
        levels = dict(own.thresholds.get(override.key, {}))
        levels[override.level] = override.value
        edited = {**own.thresholds, override.key: MappingProxyType(levels)}
        clusters[override.cluster] = dataclasses.replace(own, thresholds=MappingProxyType(edited))
    return dataclasses.replace(config, thresholds=MappingProxyType(thresholds), clusters=MappingProxyType(clusters))


def apply_pending(config: Config, pending: Iterable[PendingOverride]) -> Config:
    """A new ``Config`` whose cluster files set the pending times of the cluster ones (others are left out)."""
    clusters = dict(config.clusters)
    for override in pending:
        if override.cluster is None:
            continue
        own = clusters.get(override.cluster) or ClusterConfig(name=override.cluster, file="<backtest candidate>")
        clusters[override.cluster] = dataclasses.replace(own, pending=override.seconds)
    if clusters == dict(config.clusters):
        return config
    return dataclasses.replace(config, clusters=MappingProxyType(clusters))


def shadowed(config: Config, override: Override) -> dict[str, float | None]:
    """Clusters whose own file sets what a default ``override`` changes: they keep their value."""
    if override.cluster is not None:
        return {}
    return {
        name: cluster.thresholds[override.key][override.level]
        for name, cluster in sorted(config.clusters.items())
        if override.key in cluster.thresholds and override.level in cluster.thresholds[override.key]
    }


def _keys(key: str, config: Config) -> str:
    """``(did you mean ...?); valid keys: ...`` for an unknown ``key``."""
    known = sorted(config.thresholds)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{guess}; valid keys: {', '.join(known) or 'none'}"


def _value(raw: str, text: str) -> float | None:
    if raw.lower() in _NULLS:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise OverrideError(f"--set {text!r}: {raw!r} is not a number; give a number or null") from None
    if not math.isfinite(value):
        raise OverrideError(f"--set {text!r}: {raw!r} is not a finite number")
    return value


def _seconds(raw: str, text: str) -> float:
    try:
        seconds = parse_duration(raw.strip())
    except ValueError as exc:
        raise OverrideError(f"--pending {text!r}: {exc}") from None
    if seconds < 0:
        raise OverrideError(f"--pending {text!r}: a pending time is 0 or longer")
    return seconds


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:g}"
