"""State files the configuration names (store, outbox, history, spool, tokens) are private to their user.

SQLite creates a database 0644 (less the umask) and gives its ``-wal`` and ``-shm`` files the
database's own mode, so creating the database file 0600 first keeps all three private.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def create_private(path: str | Path, mode: int = PRIVATE) -> Path:
    """Create ``path`` empty with ``mode`` if it does not exist (a file that exists is left as it is)."""
    path = Path(path)
    if str(path) == ":memory:" or path.exists():
        return path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:  # another process made it meanwhile
        return path
    os.close(fd)
    return path


def open_private(path: str | Path, mode: int = PRIVATE) -> int:
    """A file descriptor to append to ``path``, creating it with ``mode``."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
