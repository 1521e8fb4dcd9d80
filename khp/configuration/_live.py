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
        self._signature = self._stat(config)
        self.error: ConfigError | None = None  # why the files on disk are not in force
        self.files = FileCache()  # a reload reads only the files that changed (``files.read``)
        if config.file:
            prime_cache(self.files, config)

    def current(self) -> Config:
        """The configuration, reloaded first if one of its files changed since the last load."""
        with self._lock:
            if self._config.file:
                signature = self._stat(self._config)
                if signature != self._signature:
                    self._load(signature)
            return self._config

    def reload(self) -> Config:
        """Load the files now (after the console wrote one); raises ``ConfigError`` if they do not load."""
        with self._lock:
            signature = self._stat(self._config)
            self._config = load_config(self._config.file, self.files)
            self._signature = signature
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
        self._signature = self._stat(config)
        self.error = None

    @staticmethod
    def _stat(config: Config) -> Signature:
        if not config.file:
            return ()
        paths = [Path(config.file)]
        files = [Path(c.file) for c in config.clusters.values() if c.file]
        paths += sorted({file.parent for file in files}) + files  # a directory's mtime moves when a file comes or goes
        found = []
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                found.append((str(path), 0, 0, 0))
                continue
            found.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(found)
