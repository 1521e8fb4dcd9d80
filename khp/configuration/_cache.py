"""Configuration files read once and again only when they change on disk.

``khp run`` and the console reload the configuration when a file changes; with a thousand
cluster files, reading and checking all of them again for one edited threshold would take
seconds. A ``FileCache`` keeps what was built from each file (its YAML, its ``ClusterConfig``,
a monitor's threshold declarations) with the file's inode, size and modification time, and
builds it again only when one of those differs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Signature = tuple[int, int, int]


class FileCache:
    """What was built from each file, kept while the file's (inode, size, mtime) stays the same."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[Signature, Any]] = {}
        self._used: set[tuple[str, str]] = set()
        self.read: list[str] = []  # the files the last load read (not taken from the cache)

    def begin(self) -> None:
        """Start a load: forget which files the previous one read."""
        self.read = []
        self._used = set()

    def end(self) -> None:
        """Finish a load: drop the files it did not use (a cluster file removed, say)."""
        for key in set(self._entries) - self._used:
            del self._entries[key]

    def get(self, kind: str, path: Path, build: Callable[[Path], T]) -> T:
        """``build(path)``, or what it gave last time if ``path`` has not changed since."""
        key = (kind, str(path))
        self._used.add(key)
        try:
            st = os.stat(path)
        except OSError:
            self._entries.pop(key, None)
            return build(path)  # it reports the missing or unreadable file
        signature = (st.st_ino, st.st_size, st.st_mtime_ns)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == signature:
            return entry[1]
        self._entries.pop(key, None)  # a build that fails must not leave the old value behind
        value = build(path)
        self._entries[key] = (signature, value)
        self.read.append(str(path))
        return value

    def put(self, kind: str, path: Path, value: Any) -> None:
        """Keep ``value`` as built from ``path`` as it is on disk now (for a load done without a cache)."""
        try:
            st = os.stat(path)
        except OSError:
            return
        self._entries[(kind, str(path))] = ((st.st_ino, st.st_size, st.st_mtime_ns), value)


def build_with(cache: FileCache | None, kind: str, path: Path, build: Callable[[Path], T]) -> T:
    """``build(path)`` through ``cache`` when there is one."""
    return build(path) if cache is None else cache.get(kind, path, build)
