"""The configuration as it is on disk now: reloaded when ``khp.yml`` or a cluster file changes.

Each process (every console worker, the evaluator) keeps its own copy and compares the files' stat (inode, size, mtime)
before each request, so a threshold edited in one worker (or by hand) is seen by every worker
without a restart. A file that no longer loads keeps the last good configuration in force and
the error is shown on every page until the file is fixed.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from ._cache import FileCache
from ._errors import ConfigError
from ._load import load_config, prime_cache
from ._model import Config

log = logging.getLogger("khp.config")

Signature = tuple[tuple[str, int, int, int], ...]


class LiveConfig:
    """The current ``Config``; ``config.file`` empty means it came from memory and never reloads."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._watched = _watched(config)  # the files (and their folders) whose stat says "changed"
        self._signature = self._stat()
        self.error: ConfigError | None = None  # why the files on disk are not in force
        self.files = FileCache()  # a reload reads only the files that changed (``files.read``)
        if config.file:
            prime_cache(self.files, config)

    def current(self) -> Config:
        """The configuration, reloaded first if one of its files changed since the last load."""
        with self._lock:
            if self._config.file:
                signature = self._stat()
                if signature != self._signature:
                    self._load(signature)
            return self._config

    def reload(self) -> Config:
        """Load the files now (after the console wrote one); raises ``ConfigError`` if they do not load."""
        with self._lock:
            signature = self._stat()
            self._config = load_config(self._config.file, self.files)
            self._watched = _watched(self._config)
            self._signature = signature  # taken before the load: a change made during it is seen next time
            self.error = None
            return self._config

    def _load(self, signature: Signature) -> None:
        try:
            config = load_config(self._config.file, self.files)
        except ConfigError as exc:
            if self.error is None or str(self.error) != str(exc):
                log.error("configuration not reloaded, the last good one stays in force: %s", exc)
            self.error = exc
            self._signature = signature  # do not retry until a file changes again
            return
        log.info(
            "configuration reloaded from %s (%d clusters; read again: %s)",
            config.file,
            len(config.clusters),
            ", ".join(self.files.read) or "none",
        )
        self._config = config
        self._watched = _watched(config)
        self._signature = self._stat()
        self.error = None

    def _stat(self) -> Signature:
        """Each watched path's (path, inode, size, mtime); zeros for one that is gone. Runs before each request."""
        found = []
        for path in self._watched:
            try:
                st = os.stat(path)
            except OSError:
                found.append((path, 0, 0, 0))
                continue
            found.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(found)


def _watched(config: Config) -> tuple[str, ...]:
    """``khp.yml``, the cluster files and their folders (a folder's mtime moves when a file comes or goes)."""
    if not config.file:
        return ()
    files = [Path(c.file) for c in config.clusters.values() if c.file]
    paths = [Path(config.file), *sorted({file.parent for file in files}), *files]
    return tuple(str(path) for path in paths)
