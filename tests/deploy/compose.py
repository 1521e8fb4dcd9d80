"""docker-compose.yml as data: services, their bind mounts and volumes, flags and URLs.

There is no Docker engine on the test machines, so the file is read with PyYAML (anchors and
``<<`` merges resolve as compose resolves them) and checked against the repository.
"""

from __future__ import annotations

import re
import shlex
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .grafana import ROOT

COMPOSE = ROOT / "docker-compose.yml"
REFERENCE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


@dataclass(frozen=True)
class Mount:
    """One entry of a service's ``volumes``: a bind mount (``./path``) or a named volume."""

    source: str
    target: PurePosixPath
    read_only: bool

    @property
    def is_bind(self) -> bool:
        return self.source.startswith((".", "/"))

    @property
    def repo_path(self) -> Path:
        assert self.is_bind, self
        return (ROOT / self.source).resolve()


def load(path: Path = COMPOSE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def mounts(service: Mapping[str, Any]) -> list[Mount]:
    found = []
    for entry in service.get("volumes", []):
        assert isinstance(entry, str), f"use the short volume syntax 'source:target[:ro]': {entry!r}"
        source, target, *mode = entry.split(":")
        found.append(Mount(source, PurePosixPath(target), mode == ["ro"]))
    return found


def repo_path(service: Mapping[str, Any], container_path: str | PurePosixPath) -> Path | None:
    """The repository file or directory a container path of ``service`` shows, through its bind mounts."""
    path = PurePosixPath(container_path)
    for mount in sorted(mounts(service), key=lambda m: len(m.target.parts), reverse=True):
        if mount.is_bind and (path == mount.target or mount.target in path.parents):
            return mount.repo_path.joinpath(*path.relative_to(mount.target).parts)
    return None


def volume_for(service: Mapping[str, Any], container_path: str | PurePosixPath) -> str | None:
    """The named volume that holds ``container_path`` in ``service``, if one does."""
    path = PurePosixPath(container_path)
    for mount in mounts(service):
        if not mount.is_bind and (path == mount.target or mount.target in path.parents):
            return mount.source
    return None


def command(service: Mapping[str, Any]) -> list[str]:
    raw = service.get("command", [])
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def flag(service: Mapping[str, Any], name: str) -> list[str]:
    """The values of ``--name=value`` or ``--name value`` in the service's command."""
    args = command(service)
    values = []
    for index, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            values.append(arg.split("=", 1)[1])
        elif arg == f"--{name}" and index + 1 < len(args):
            values.append(args[index + 1])
    return values


def host_port(address: str, default_host: str = "") -> tuple[str, int]:
    """``host:port`` or ``:port`` (or a URL) as (host, port)."""
    if "//" in address:
        parts = urllib.parse.urlsplit(address)
        assert parts.hostname and parts.port, f"{address}: name the host and the port"
        return parts.hostname, parts.port
    host, _, port = address.rpartition(":")
    return host or default_host, int(port)


def published(service: Mapping[str, Any]) -> dict[int, str]:
    """Container port -> the host side (``[ip:]port``) of each published port."""
    found = {}
    for entry in service.get("ports", []):
        host, _, container = str(entry).rpartition(":")
        found[int(container.split("/")[0])] = host
    return found


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """Service name -> condition (``service_started`` for the short form)."""
    raw = service.get("depends_on", {})
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in raw.items()}


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        return dict(entry.split("=", 1) if "=" in entry else (entry, "") for entry in raw)
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def strings(node: Any) -> Iterator[str]:
    """Every string anywhere in a parsed YAML tree, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
