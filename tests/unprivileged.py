"""Running a command as a user who cannot write a file: what a read-only store looks like to khp.

Root writes through any file mode, so under root the command runs as ``nobody`` (through
util-linux's ``setpriv``) in a directory that user can read; otherwise the file mode alone makes
it read-only.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NOBODY = 65534


def unprivileged(command: list[str]) -> list[str]:
    """``command`` run as ``nobody`` when we are root (as it is otherwise)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux's setpriv: cannot drop to a user a file mode binds")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


@contextmanager
def shared_directory() -> Iterator[Path]:
    """A directory everyone can read and enter (``tmp_path`` is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="khp-shared-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def read_only(*paths: Path) -> None:
    """Make files read-only (and readable by everyone), directories enterable but not writable."""
    for path in paths:
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
