"""Running a command as a user who cannot write a file: what a read-only store looks like to khp.

Root writes through any file mode only by its capabilities (``CAP_DAC_OVERRIDE``), so under
root the command runs as root without any capability (util-linux's ``setpriv`` empties the
bounding set before it executes the command): file modes bind it as they bind the files' owner,
and it still reads everything root owns, such as a project cloned into a private ``mktemp -d``
directory (a switch to ``nobody`` could not import the package from there). Otherwise the file
mode alone makes it read-only.
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


def unprivileged(command: list[str]) -> list[str]:
    """``command`` run by root without capabilities when we are root (as it is otherwise)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux's setpriv: cannot drop the capabilities that ignore file modes")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", *command]


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
