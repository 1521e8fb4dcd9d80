"""A cluster's rooms and pending time, edited from the console and written to its cluster file.

``parse_rooms`` and ``parse_pending`` read the form (pure). ``ClusterSettingsEditor`` writes the
cluster file under the clusters directory's lock, loads the configuration again (a file that
does not load is put back), and for rooms puts the routing in force: it renders
``alertmanager.yml``, has amtool check it, writes it where ``console.alertmanager_config`` says
and reloads every Alertmanager. A rendering amtool rejects puts the cluster file back too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from khp.configuration import LEVELS, Config, ConfigError, LiveConfig, format_duration, parse_duration
from khp.routing import Deployed, RoutingRejected, deploy, render_alertmanager_yaml

from ._clusterfile import ClusterFileError, locked, read_text, set_top, write_atomically

ROOM = re.compile(r"^[a-z][a-z0-9_-]*:[^\s,]+$")
MAX_PENDING = 86400.0


class SettingRefused(Exception):
    """A room or pending edit that was not made; the message says why, the files are unchanged."""


@dataclass(frozen=True)
class Edit:
    """What an edit did: the change as people read it, and how the routing was put in force."""

    change: str
    deployed: Deployed | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every Alertmanager reloaded (or nothing needed reloading)."""
        return self.deployed is None or not self.deployed.failed


def parse_rooms(texts: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Each severity's rooms from the form (comma or space separated ``channel:target``; empty: the defaults)."""
    rooms: dict[str, tuple[str, ...]] = {}
    for level in LEVELS:
        found = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", texts.get(level, "").strip()) if part))
        bad = [room for room in found if not ROOM.match(room)]
        if bad:
            raise SettingRefused(
                f"{level} rooms: {', '.join(repr(b) for b in bad)} is not 'channel:target' like 'kakaowork:12345'"
                " or 'kakaotalk:ops'; leave it empty for the default rooms"
            )
        if found:
            rooms[level] = found
    return rooms


def parse_pending(text: str) -> float | None:
    """The pending time of the form (``10m``, ``PT5M``, ``0s``); None (empty) for the default."""
    text = text.strip()
    if not text:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise SettingRefused(f"pending time: {exc}; write it like 5m, 90s or 1h, or leave it empty") from None
    if not 0 <= seconds <= MAX_PENDING:
        raise SettingRefused(f"pending time {text!r}: choose between 0s and {format_duration(MAX_PENDING)}")
    return seconds


class ClusterSettingsEditor:
    """Writes a cluster's ``channels`` and ``pending`` and puts them in force."""

    def __init__(
        self, live: LiveConfig, alertmanager_config: Path | None, *, amtool: str = "amtool", timeout: float = 10.0
    ) -> None:
        self.live = live
        self.alertmanager_config = alertmanager_config
        self.amtool = amtool
        self.timeout = timeout

    def set_rooms(self, cluster: str, rooms: Mapping[str, Sequence[str]]) -> Edit:
        """Write the cluster's rooms, then re-render, check, write and reload Alertmanager's configuration."""
        if self.alertmanager_config is None:
            raise SettingRefused(
                "rooms are not changed here: this console does not know which alertmanager.yml the Alertmanagers"
                " read; an administrator sets console.alertmanager_config in khp.yml"
            )
        value = {level: list(rooms[level]) for level in LEVELS if rooms.get(level)} or None
        before = self.live.current().clusters.get(cluster)
        old = {level: list(before.channels[level]) for level in before.channels} if before is not None else {}
        change = f"rooms of {cluster}: {_rooms(old)} -> {_rooms(value or {})}"
        target = self.alertmanager_config
        return self._edit(cluster, "channels", value, change, lambda config: self._deploy(config, target))

    def set_pending(self, cluster: str, seconds: float | None) -> Edit:
        """Write the cluster's pending time (None: back to evaluation.pending); ``khp run`` takes it next cycle."""
        before = self.live.current().clusters.get(cluster)
        old = before.pending if before is not None else None
        value = None if seconds is None else format_duration(seconds)
        change = f"pending time of {cluster}: {_pending(old)} -> {_pending(seconds)}"
        return self._edit(cluster, "pending", value, change, None)

    def _edit(self, cluster: str, key: str, value: Any, change: str, apply: Any) -> Edit:
        config = self.live.current()
        own = config.clusters.get(cluster)
        if own is None or not own.file:
            raise SettingRefused(
                f"{cluster} has no cluster file, so the defaults apply to it; create {cluster}.yml in the clusters"
                " directory first"
            )
        path = Path(own.file)
        try:
            with locked(path.parent):
                before_text = read_text(path)
                text, method = set_top(before_text, key, value)
                if text == before_text:
                    return Edit(f"{change} (unchanged)")
                write_atomically(path, text)
                try:
                    reloaded = self.live.reload()
                    deployed = apply(reloaded) if apply is not None else None
                except (ConfigError, RoutingRejected, OSError) as exc:
                    write_atomically(path, before_text)
                    self.live.reload()
                    raise SettingRefused(f"not saved: {exc}; {path.name} was put back") from None
        except ClusterFileError as exc:
            raise SettingRefused(str(exc)) from None
        notes = [f"{path.name}: {method}"]
        return Edit(change, deployed, notes)

    def _deploy(self, config: Config, target: Path) -> Deployed:
        return deploy(
            render_alertmanager_yaml(config), target, config.alertmanager.urls, timeout=self.timeout, amtool=self.amtool
        )


def _rooms(rooms: Mapping[str, Sequence[str]]) -> str:
    shown = [f"{level} {', '.join(rooms[level])}" for level in LEVELS if rooms.get(level)]
    return "; ".join(shown) or "the defaults"


def _pending(seconds: float | None) -> str:
    return "the default" if seconds is None else format_duration(seconds)
